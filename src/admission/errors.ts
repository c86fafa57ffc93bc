/**
 * The catalogue of errors the admission transport answers with. Each code has an HTTP status and
 * an entry in docs/admission.md (a test keeps the two in sync). Bad input is the caller's fault and
 * gets HTTP 400; a policy engine that fails is answered inside an AdmissionReview (HTTP 200,
 * allowed: false, status.code 500) so the API server reports it instead of applying its own
 * failurePolicy.
 */

export const AdmissionErrorCodes = {
  A4001: { name: 'BodyNotJson', httpStatus: 400 },
  A4002: { name: 'UnsupportedContentType', httpStatus: 400 },
  A4003: { name: 'BodyTooLarge', httpStatus: 400 },
  A4004: { name: 'JsonTooDeep', httpStatus: 400 },
  A4005: { name: 'NotAnAdmissionReview', httpStatus: 400 },
  A4006: { name: 'InvalidAdmissionRequest', httpStatus: 400 },
  A4007: { name: 'EmptyBody', httpStatus: 400 },
  A4008: { name: 'InvalidTimeout', httpStatus: 400 },
  A4009: { name: 'BodyTimeout', httpStatus: 400 },
  A4010: { name: 'UnsupportedContentEncoding', httpStatus: 400 },
  A5001: { name: 'EngineFailed', httpStatus: 200 },
} as const;

export type AdmissionErrorCode = keyof typeof AdmissionErrorCodes;

/** Input the transport refuses before the engine sees it. Its message is safe to send back. */
export class AdmissionInputError extends Error {
  readonly code: AdmissionErrorCode;
  readonly httpStatus: number;

  constructor(code: AdmissionErrorCode, message: string) {
    super(message);
    this.name = 'AdmissionInputError';
    this.code = code;
    this.httpStatus = AdmissionErrorCodes[code].httpStatus;
  }
}

/** The JSON body of an HTTP 400 answer. */
export function errorBody(error: AdmissionInputError): { code: AdmissionErrorCode; message: string } {
  return { code: error.code, message: error.message };
}
