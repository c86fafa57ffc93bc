/** The admission layer's public surface: AdmissionReview in, AdmissionReview out. */
export { AdmissionInputError, errorBody } from './errors.js';
export { reviewAdmission, type ReviewDecision, type ReviewInput, type ReviewResult } from './review.js';
export { DENIAL_STATUS, allowed, denied, errored, fromDecision, patched, review } from './response.js';
export { toEngineRequest } from './to-engine-request.js';
export type * from './types.js';
export { ADMISSION_API_VERSION, ADMISSION_KIND } from './types.js';
