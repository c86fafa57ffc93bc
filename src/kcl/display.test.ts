// Expected strings captured from the reference implementation (kcl-lib 0.13.2) by evaluating
// `str(...)` / `"${...}"` of the same values.
import { describe, expect, test } from '@jest/globals';
import { displayFloat, displayValue, formatFloatForOutput, jsonReparsedFloat, shortDisplay, typedDisplay } from './display.js';
import { KDict, KFloat, KFunction, SchemaInstance, UNDEFINED, type SchemaTypeRef, type Value } from './value.js';
import { makeUnit } from './units-core.js';

function dict(...pairs: [string, Value][]): KDict {
  return new KDict(new Map(pairs));
}

describe('str() display form', () => {
  test('scalars', () => {
    expect(displayValue(null)).toBe('None');
    expect(displayValue(UNDEFINED)).toBe('Undefined');
    expect(displayValue(true)).toBe('True');
    expect(displayValue(9007199254740991)).toBe('9007199254740991');
    expect(displayValue(-5)).toBe('-5');
    expect(displayValue("it's")).toBe("it's");
    expect(displayValue(makeUnit(1, 'Gi'))).toBe('1Gi');
    expect(displayValue(makeUnit(500, 'm'))).toBe('500m');
    expect(displayValue(new KFunction('f', () => null))).toBe('function');
  });

  test('lists print strings raw, dicts quote them', () => {
    const v: Value = [1, 'a', true, null, new KFloat(1), dict(['k', 'v'], ['n', [1, 2]])];
    expect(displayValue(v)).toBe("[1, a, True, None, 1.0, {'k': 'v', 'n': [1, 2]}]");
    expect(displayValue(dict(['a', ['x', dict(['b', 'y'])]], ['c', [['z']]]))).toBe("{'a': [x, {'b': 'y'}], 'c': [[z]]}");
    expect(displayValue(['', ''])).toBe('[, ]');
    expect(displayValue([''])).toBe('[]');
    expect(displayValue(dict(['v', '']))).toBe("{'v': ''}");
    expect(displayValue(dict(['k', UNDEFINED]))).toBe("{'k': Undefined}");
    expect(displayValue(dict(['a', makeUnit(1, 'Gi')]))).toBe("{'a': 1Gi}");
  });

  test('quoting inside dicts', () => {
    expect(displayValue(dict(["it's", 'a"b\'c'], ['n', 'new\nline'], ['b', 'back\\slash']))).toBe(
      `{'it's': "a\\"b'c", 'n': 'new\nline', 'b': 'back\\slash'}`,
    );
    expect(displayValue(dict(['v', 'a"b']))).toBe(`{'v': "a"b"}`);
    expect(displayValue(dict(['a"b', 1]))).toBe(`{"a"b": 1}`);
    expect(displayValue(dict(['v', `'"`]))).toBe(`{'v': "'\\""}`);
    expect(displayValue(dict(['x\'"y', 1]))).toBe(`{"x'\\"y": 1}`);
  });

  test('schema instances print like dicts', () => {
    const schema: SchemaTypeRef = { __kcl: 'SchemaType', name: 'P', pkgpath: '__main__', instances: [] };
    const p = new SchemaInstance(schema, new Map<string, Value>([['name', 'n'], ['age', UNDEFINED], ['tags', ['x']]]));
    expect(displayValue(p)).toBe("{'name': 'n', 'age': Undefined, 'tags': [x]}");
    expect(displayValue([p])).toBe("[{'name': 'n', 'age': Undefined, 'tags': [x]}]");
  });

  test('floats never use an exponent in str()', () => {
    expect(displayFloat(1e20)).toBe('100000000000000000000.0');
    expect(displayFloat(1.5e-7)).toBe('0.00000015');
    expect(displayFloat(3)).toBe('3.0');
    expect(displayFloat(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(displayFloat(1e16)).toBe('10000000000000000.0');
    expect(displayFloat(-1)).toBe('-1.0');
    expect([displayFloat(Infinity), displayFloat(-Infinity), displayFloat(NaN)]).toEqual(['inf.0', '-inf.0', 'NaN.0']);
    expect(displayFloat(1e-5)).toBe('0.00001');
    expect(displayFloat(123.456)).toBe('123.456');
    expect(displayFloat(2.5e-300)).toBe(`0.${'0'.repeat(299)}25`);
  });

  test('floats in YAML/JSON output use ryu format', () => {
    expect(formatFloatForOutput(1e20)).toBe('1e20');
    expect(formatFloatForOutput(1e20, true)).toBe('1e+20');
    expect(formatFloatForOutput(1.5e-7, true)).toBe('1.5e-7');
    expect(formatFloatForOutput(1e16)).toBe('1e16');
    expect(formatFloatForOutput(1e15)).toBe('1000000000000000.0');
    expect(formatFloatForOutput(123456.789)).toBe('123456.789');
    expect(formatFloatForOutput(0.00001)).toBe('0.00001');
    expect(formatFloatForOutput(1 / 3)).toBe('0.3333333333333333');
  });
});

describe('the float the YAML output holds', () => {
  // Expected values are what kcl-lib 0.13.2 outputs for these computations.
  test('is one ulp off where serde_json reads the JSON text back inexactly', () => {
    expect(jsonReparsedFloat(1 + 2 / 3)).toBe(1.6666666666666663);
    expect(formatFloatForOutput(jsonReparsedFloat(1 + 2 / 3))).toBe('1.6666666666666663');
  });
  test('keeps values that read back exactly, zeros, tiny values and non-finite ones', () => {
    for (const x of [0.1 + 0.2, 10 / 7, 1e22 / 7, 5e-324, 1e-310 / 3, 1.7976931348623157e308, 1024]) {
      expect(jsonReparsedFloat(x)).toBe(x);
    }
    expect(jsonReparsedFloat(-(1 + 2 / 3))).toBe(-1.6666666666666663);
    expect(Object.is(jsonReparsedFloat(-0), -0)).toBe(true);
    expect(jsonReparsedFloat(Infinity)).toBe(Infinity);
  });
});

describe('message forms', () => {
  test('shortDisplay abbreviates containers and JSON-quotes strings', () => {
    expect(shortDisplay('x\ny')).toBe('"x\\ny"');
    expect(shortDisplay([1])).toBe('[...]');
    expect(shortDisplay(dict(['z', 1]))).toBe('{...}');
    expect(shortDisplay(true)).toBe('true');
    expect(shortDisplay(new KFloat(1.5))).toBe('1.5');
    expect(shortDisplay(makeUnit(1, 'Gi'))).toBe('1073741824.0');
  });

  test('typedDisplay names type and value', () => {
    expect(typedDisplay('x')).toBe('str(x)');
    expect(typedDisplay(new KFloat(1.5))).toBe('float(1.5)');
    expect(typedDisplay(true)).toBe('bool(True)');
    expect(typedDisplay(makeUnit(1, 'Gi'))).toBe('number_multiplier(1Gi)');
    expect(typedDisplay([1, 'x'])).toBe('[int(1) | str(x)]');
    expect(typedDisplay(dict(['k', 'v']))).toBe('{str(k):str(v)}');
  });
});
