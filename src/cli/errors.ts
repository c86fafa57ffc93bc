/**
 * The one catalogue of errors the command line shows. Each code has a category prefix, a message
 * template and the exit code the command ends with; docs/cli.md lists every code (a test keeps
 * the two in step). Throw sites name a code and fill the template's `{placeholders}`, so the
 * wording lives here and tests assert codes, never text.
 *
 *   C1xxx  the command line itself (flags, arguments)        exit 2
 *   C2xxx  input the command reads (files, stdin, the kubeconfig, the certificate)
 *   C3xxx  `serve` could not start (port, cluster, registration)   exit 1
 *   C7xxx  kclguard itself is broken (a bug, an incomplete installation)  exit 70
 *
 * KCL diagnostics (E/K codes, src/kcl/diagnostics.ts) and the admission transport's A codes are
 * separate catalogues: they describe a policy or a review, not the command line.
 */

interface CliErrorSpec {
  readonly name: string;
  readonly exitCode: number;
  readonly template: string;
}

export const CLI_ERRORS = {
  C1001: { name: 'UnknownCommand', exitCode: 2, template: "unknown command '{command}'" },
  C1002: { name: 'NoCommand', exitCode: 2, template: 'no command given' },
  C1003: { name: 'UnknownFlag', exitCode: 2, template: 'unknown flag {flag}' },
  C1004: { name: 'MissingFlagValue', exitCode: 2, template: 'flag {flag} needs a value ({valueName})' },
  C1005: { name: 'RepeatedFlag', exitCode: 2, template: 'flag {flag} is given more than once' },
  C1006: { name: 'InvalidFlagValue', exitCode: 2, template: '{where} must be {expected}, got {actual}' },
  C1007: { name: 'UnexpectedArgument', exitCode: 2, template: "unexpected argument '{argument}'" },
  C1008: { name: 'MissingRequiredFlag', exitCode: 2, template: '{flag} is required{when}' },
  C1009: { name: 'FlagNeedsFlag', exitCode: 2, template: '{flag} needs {other}' },
  C1010: { name: 'FlagNeedsClusterMode', exitCode: 2, template: '{flag} needs cluster mode (--kubeconfig, or running in a Pod)' },
  C1011: { name: 'FlagNeedsLocalMode', exitCode: 2, template: '{flag} is for local mode; in cluster mode {instead}' },
  C1012: { name: 'MixedRunTargets', exitCode: 2, template: 'give one package directory, or KCL files, not both' },
  C1013: { name: 'RefusedFlagValue', exitCode: 2, template: '{flag}: {reason}' },

  C2001: { name: 'CannotRead', exitCode: 2, template: '{path}: cannot read ({reason})' },
  C2002: { name: 'NotADirectory', exitCode: 2, template: '{flag} {path} is not a directory' },
  C2003: { name: 'InvalidYaml', exitCode: 2, template: '{path}:{line}:{col}: invalid YAML: {reason}' },
  C2004: { name: 'WrongDocumentCount', exitCode: 2, template: '{path}: {what} must hold exactly one YAML document, found {count}' },
  C2005: { name: 'NotAnObject', exitCode: 2, template: '{path}: the {what} must be a Kubernetes object (a YAML mapping with apiVersion and kind)' },
  C2006: { name: 'NoPolicyInFile', exitCode: 2, template: '{path}: no KCLRun or ClusterKCLRun (apiVersion krm.kcl.dev/v1alpha1) in this file' },
  C2007: { name: 'NoNamespaceInFile', exitCode: 2, template: '{path}: no v1 Namespace documents in this file' },
  C2008: { name: 'InvalidPolicyManifests', exitCode: 2, template: 'invalid policy manifests: {problems}' },
  C2009: { name: 'InvalidRbacManifests', exitCode: 2, template: 'invalid RBAC manifests: {problems}' },
  C2010: { name: 'InvalidTestFile', exitCode: 2, template: '{path}: not a valid KCLGuardTest: {problems}' },
  C2011: { name: 'ExpectPolicyRequired', exitCode: 2, template: 'expect.policy is required: the file loads {count} policies ({policies})' },
  C2012: { name: 'ExpectPolicyUnknown', exitCode: 2, template: 'expect.policy {policy} is not one of {policies}' },
  C2013: { name: 'InvalidExpectedPatch', exitCode: 2, template: '{path}: an expected patch file holds one YAML/JSON list of RFC 6902 operations' },
  C2014: { name: 'NotAResourceList', exitCode: 2, template: '{source}: expected one ResourceList (config.kubernetes.io/v1)' },
  C2015: { name: 'FunctionConfigNotAPolicy', exitCode: 2, template: '{source}: functionConfig must be a KCLRun or ClusterKCLRun (apiVersion krm.kcl.dev/v1alpha1)' },
  C2016: { name: 'UnusableClusterConfig', exitCode: 2, template: 'cannot use the cluster configuration: {reason}' },
  C2017: { name: 'UnusableCertificate', exitCode: 2, template: 'cannot use --cert {cert} --key {key}: {reason}' },
  // `kclguard run` ends every failure of the program it runs with 1, as `kcl run` does.
  C2018: { name: 'ProgramNotFound', exitCode: 1, template: "cannot read '{path}' (no such file or directory)" },
  C2019: { name: 'NotPemCertificates', exitCode: 2, template: '{flag} {path} holds no PEM certificate' },

  C3001: { name: 'CannotListen', exitCode: 1, template: 'cannot listen on {address}: {reason}' },
  C3002: { name: 'ClusterUnreachable', exitCode: 1, template: 'cannot reach the cluster ({source}): {reason}' },
  C3003: { name: 'RegistrationFailed', exitCode: 1, template: 'cannot register the webhook configurations: {reason}' },

  C7001: { name: 'CommandLoadFailed', exitCode: 70, template: "command '{command}' could not be loaded: {reason}" },
  C7002: { name: 'InternalError', exitCode: 70, template: 'internal error: {reason}' },
} as const satisfies Record<string, CliErrorSpec>;

export type CliErrorCode = keyof typeof CLI_ERRORS;

/** The `{name}` placeholders of a template, as a union of names. */
type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

/** What a code's template needs, checked by the compiler at every throw site. */
export type CliErrorParams<C extends CliErrorCode> = Readonly<Record<Placeholders<(typeof CLI_ERRORS)[C]['template']>, string | number>>;

/** Codes of one category, so each error class takes only its own. */
type CodesStartingWith<P extends string> = Extract<CliErrorCode, `${P}${string}`>;

function render(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));
}

/** An error the command line shows as `kclguard <command>: error <code>: <message>`. */
export class CliError<C extends CliErrorCode = CliErrorCode> extends Error {
  readonly code: C;
  readonly exitCode: number;
  readonly params: CliErrorParams<C>;

  constructor(code: C, params: CliErrorParams<C>) {
    super(render(CLI_ERRORS[code].template, params));
    this.name = 'CliError';
    this.code = code;
    this.exitCode = CLI_ERRORS[code].exitCode;
    this.params = params;
  }
}

/** A mistake on the command line (C1xxx). */
export class FlagError<C extends CodesStartingWith<'C1'> = CodesStartingWith<'C1'>> extends CliError<C> {
  override readonly name = 'FlagError';
}

/** Input a command cannot use (C2xxx): a file, stdin, the kubeconfig or the certificate. */
export class InputError<C extends CodesStartingWith<'C2'> = CodesStartingWith<'C2'>> extends CliError<C> {
  override readonly name = 'InputError';
}

/** `serve` could not start for a reason other than its flags and files (C3xxx). */
export class ServeStartError<C extends CodesStartingWith<'C3'> = CodesStartingWith<'C3'>> extends CliError<C> {
  override readonly name = 'ServeStartError';
}

/** Narrows a caught value to the error of one code. */
export function isCliError<C extends CliErrorCode>(error: unknown, code: C): error is CliError<C> {
  return error instanceof CliError && error.code === code;
}

/** `error C2001: p.yaml: cannot read (no such file)`: the code, then the message. */
export function describeCliError(error: CliError): string {
  return `error ${error.code}: ${error.message}`;
}

/** The line a command prints for an error: `kclguard serve: error C3001: cannot listen on ...`. */
export function formatCliError(command: string | undefined, error: CliError): string {
  return `kclguard${command ? ` ${command}` : ''}: ${describeCliError(error)}\n`;
}

/** Prints the error line on stderr and returns the exit code the command ends with. */
export function reportCliError(command: string | undefined, error: CliError): number {
  process.stderr.write(formatCliError(command, error));
  return error.exitCode;
}

/** The first line of what an unknown thrown value says, for wrapping it into a template. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
