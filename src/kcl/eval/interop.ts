/**
 * The evaluator's view of the builtins engineer's modules (equality, ordering, display). One
 * place to adapt if their names change.
 */
export { equals as valuesEqual, compare as compareValues, contains as containsValue } from '../compare.js';
export { displayValue as displayStr, shortDisplay, typedDisplay } from '../display.js';
export { makeUnit } from '../units-core.js';
