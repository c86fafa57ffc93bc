/**
 * Turns a parsed JSON body into a checked AdmissionReview request, or an AdmissionInputError whose
 * message names every offending field (the API server logs it when the webhook answers 400).
 */
import { Ajv, type ErrorObject } from 'ajv';
import { truncateRunes } from '../engine/index.js';
import { AdmissionInputError } from './errors.js';
import { ADMISSION_API_VERSION, ADMISSION_KIND, type AdmissionReviewRequest } from './types.js';

const nonEmptyString = { type: 'string', minLength: 1 } as const;
const objectOrNull = { type: ['object', 'null'] } as const;

const groupVersionKind = {
  type: 'object',
  required: ['version', 'kind'],
  properties: { group: { type: 'string' }, version: nonEmptyString, kind: nonEmptyString },
} as const;

const groupVersionResource = {
  type: 'object',
  required: ['version', 'resource'],
  properties: { group: { type: 'string' }, version: nonEmptyString, resource: nonEmptyString },
} as const;

const stringList = { type: 'array', items: { type: 'string' } } as const;

/** The longest `request.uid` accepted (A4006 beyond). */
export const MAX_UID_CHARS = 128;

const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: ADMISSION_API_VERSION },
    kind: { const: ADMISSION_KIND },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'resource', 'operation'],
      properties: {
        // The API server's is a UUID (36 characters). Bounded: the answer, the log lines and the
        // audit annotations repeat it, and a forged megabyte uid made each answer megabytes,
        // held in the send buffer of a client that never reads it (and in each log line).
        uid: { type: 'string', minLength: 1, maxLength: MAX_UID_CHARS },
        kind: groupVersionKind,
        resource: groupVersionResource,
        subResource: { type: 'string' },
        requestKind: groupVersionKind,
        requestResource: groupVersionResource,
        requestSubResource: { type: 'string' },
        name: { type: 'string' },
        // Bounded, because a forged megabyte-long namespace would be a key in the Namespace
        // read-through cache and a URL to the API. Not 63 (a DNS label): on a Namespace CREATE the
        // API server sends the new name here before validating it, and an over-long name must get
        // the API server's own error, not a webhook failure; 253 bounds every object name.
        namespace: { type: 'string', maxLength: 253 },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        userInfo: {
          type: 'object',
          properties: {
            username: { type: 'string' },
            uid: { type: 'string' },
            groups: stringList,
            extra: { type: 'object', additionalProperties: stringList },
          },
        },
        object: objectOrNull,
        oldObject: objectOrNull,
        dryRun: { type: 'boolean' },
        options: objectOrNull,
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateReview = ajv.compile(admissionReviewSchema);

/** At most this many field errors are listed; the rest are counted. */
const MAX_LISTED_ERRORS = 5;

/** Checks the envelope first so that a v1beta1 review or a stray object gets a precise answer. */
export function decodeAdmissionReview(body: unknown): AdmissionReviewRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AdmissionInputError('A4005', `expected an ${ADMISSION_KIND} object, got ${describeJsonType(body)}`);
  }
  const envelope = body as Record<string, unknown>;
  if (envelope.apiVersion !== ADMISSION_API_VERSION || envelope.kind !== ADMISSION_KIND) {
    throw new AdmissionInputError(
      'A4005',
      `expected apiVersion ${ADMISSION_API_VERSION} and kind ${ADMISSION_KIND}, ` +
        `got apiVersion ${quote(envelope.apiVersion)} and kind ${quote(envelope.kind)}`,
    );
  }
  if (validateReview(body)) return body as unknown as AdmissionReviewRequest;
  const errors = validateReview.errors ?? [];
  const listed = errors.slice(0, MAX_LISTED_ERRORS).map(describeError);
  const more = errors.length > MAX_LISTED_ERRORS ? ` (and ${errors.length - MAX_LISTED_ERRORS} more)` : '';
  throw new AdmissionInputError('A4006', `invalid AdmissionReview: ${listed.join('; ')}${more}`);
}

/** A field path quoted in a message: a key of a forged review can be megabytes long. */
const MAX_PATH_RUNES = 200;

function describeError(error: ErrorObject): string {
  const base = error.instancePath === '' ? '' : truncateRunes(error.instancePath.slice(1).replaceAll('/', '.'), MAX_PATH_RUNES);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${base === '' ? missing : `${base}.${missing}`} is required`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${base} must be one of ${allowed.join(', ')}`;
  }
  if (error.keyword === 'minLength') return `${base} must not be empty`;
  return `${base} ${error.message ?? 'is invalid'}`;
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function quote(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A hostile value must not turn the error message into a wall of text.
  return `'${text.length > 64 ? `${text.slice(0, 64)}…` : text}'`;
}
