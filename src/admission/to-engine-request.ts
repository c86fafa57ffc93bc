/** The one place an AdmissionRequest becomes the engine's EngineRequest. */
import { admissionParts, type EngineRequest, type Phase } from '../engine/index.js';
import type { AdmissionRequest, JsonObject } from './types.js';

export function toEngineRequest(request: AdmissionRequest, phase: Phase, deadline: number, reviewText?: string): EngineRequest {
  const { object, oldObject, requestView } = admissionParts(request as unknown as Record<string, unknown>);
  const engineRequest: {
    -readonly [K in keyof EngineRequest]: EngineRequest[K];
  } = {
    uid: request.uid,
    phase,
    operation: request.operation,
    kind: { group: request.kind.group ?? '', version: request.kind.version, kind: request.kind.kind },
    resource: {
      group: request.resource.group ?? '',
      version: request.resource.version,
      resource: request.resource.resource,
    },
    namespace: request.namespace ?? '',
    userInfo: request.userInfo ?? {},
    dryRun: request.dryRun === true,
    requestView: requestView as JsonObject,
    deadline,
  };
  if (reviewText !== undefined) engineRequest.reviewText = reviewText;
  if (request.subResource) engineRequest.subResource = request.subResource;
  if (request.name) engineRequest.name = request.name;
  if (object) engineRequest.object = object;
  if (oldObject) engineRequest.oldObject = oldObject;
  return engineRequest;
}
