/**
 * admission.k8s.io/v1 AdmissionReview, as the API server sends and expects it. Only the fields
 * kclguard reads or writes are typed; unknown request fields are kept (they reach policies through
 * option("request")).
 */
import type { GroupVersionKind, GroupVersionResource, Operation, UserInfo } from '../engine/index.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type JsonObject = Record<string, unknown>;

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly requestKind?: GroupVersionKind;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  readonly object?: JsonObject | null;
  readonly oldObject?: JsonObject | null;
  readonly dryRun?: boolean;
  readonly options?: JsonObject | null;
  readonly [extra: string]: unknown;
}

export interface AdmissionStatus {
  readonly code: number;
  readonly message: string;
  readonly reason?: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  /** base64 of an RFC 6902 JSON array; present only together with patchType. */
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

export interface AdmissionReviewRequest {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_KIND;
  readonly request: AdmissionRequest;
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_KIND;
  readonly response: AdmissionResponse;
}
