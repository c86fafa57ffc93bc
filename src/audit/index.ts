/** Background audit of existing objects and the PolicyReports it writes (floor 3). */
export { AuditController, type AuditCaches, type AuditControllerOptions, type AuditObserver, type AuditRunOutcome, type AuditRunSummary } from './audit-controller.js';
export { auditedKindNames, auditedKinds, auditedPolicies, type KindNames } from './audit-kinds.js';
export { AUDIT_USER, auditRequest, targetKey, type AuditTarget } from './audit-request.js';
export { CATEGORY_ANNOTATION, DEFAULT_SEVERITY, REPORT_RESULTS, SEVERITY_ANNOTATION, policyInfos, resultOf, type AuditResult, type ReportResult } from './audit-results.js';
export { auditPass, type AuditPass, type PassOutcome } from './audit-run.js';
export { DEFAULT_REPORT_LIMITS, MANAGED_BY, MANAGED_BY_LABEL, REPORT_API_VERSION, buildReports, summaryOf, type AuditedObject, type PolicyReportObject, type ReportLimits } from './policy-reports.js';
export { ReportWriter, kubeReportApi, type ReportApi, type WriteOutcome } from './report-writer.js';
export { readCheck, type OnNotAudited, type ReadCheck } from './read-check.js';
