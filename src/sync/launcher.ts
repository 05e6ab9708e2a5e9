/**
 * Where a connector runs. A `package` naming a file in SYNC_CONNECTORS_DIR (a folder the operator
 * controls) runs that file directly; anything else is a Docker image run with `docker run --rm -i`.
 * A package with `..`, a leading `/`, a backslash or a control character is refused, and a local
 * package never has a `/`: nothing outside the folder can run (symlinks are resolved and checked too).
 */
import { AppError, ValidationError } from "../errors.ts";

/** How to start one connector command, with the run's files in `dir`. */
export interface Launch {
  kind: "local" | "docker";
  /** Program and arguments; `files` are referred to by the paths the connector sees. */
  command(
    dir: string,
    args: (path: (file: string) => string) => string[],
  ): { cmd: string; args: string[]; env: Record<string, string> };
  /** The name of the Docker container (docker only), to stop it on cancel. */
  container?: string;
}

// Starts with a letter, digit or "_": a leading "-" would be read by docker as an option.
const SAFE_PACKAGE = /^[A-Za-z0-9_][A-Za-z0-9@._:+/-]*$/;

/** Refuses package names that could reach outside the connectors folder or inject arguments. */
export function checkPackageName(pkg: string, field = "package"): void {
  if (pkg.includes("..") || !SAFE_PACKAGE.test(pkg)) {
    throw new ValidationError(
      `Cannot run connector "${pkg}": a package is a file name in SYNC_CONNECTORS_DIR or a Docker image ` +
        `(letters, digits, ".", "_", "-", ":", "@", "/", starting with a letter or digit), never a path with ".."`,
      [{ path: field, message: "must be a connector file name or a Docker image, without .." }],
    );
  }
}

function minimalEnv(dir: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: dir,
    TMPDIR: dir,
    LANG: "C.UTF-8",
  };
}

/** The local file for `pkg` in `connectorsDir`, or null when there is none. Never a path outside it. */
export async function localConnector(connectorsDir: string, pkg: string): Promise<string | null> {
  if (!connectorsDir || pkg.includes("/")) return null;
  let root: string, file: string;
  try {
    root = await Deno.realPath(connectorsDir);
    file = await Deno.realPath(`${root}/${pkg}`);
  } catch {
    return null;
  }
  if (!file.startsWith(root + "/")) return null;
  const info = await Deno.stat(file);
  return info.isFile ? file : null;
}

/** Whether a Docker daemon answers (within a few seconds). */
export async function dockerAnswers(): Promise<{ ok: boolean; error?: string }> {
  try {
    const out = await new Deno.Command("docker", {
      args: ["version", "--format", "{{.Server.Version}}"],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(5000),
    }).output();
    if (out.success) return { ok: true };
    const err = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    return { ok: false, error: err || `docker exited with code ${out.code}` };
  } catch (e) {
    return {
      ok: false,
      error: e instanceof Deno.errors.NotFound ? "the docker command is not installed" : String(e),
    };
  }
}

/** Picks the launcher for a service's connector, or throws an error saying why none can run it. */
export async function resolveLauncher(
  opts: { connectorsDir: string; pkg: string; version: string; runId: string },
): Promise<Launch> {
  checkPackageName(opts.pkg);
  const file = await localConnector(opts.connectorsDir, opts.pkg);
  if (file) {
    return {
      kind: "local",
      command: (dir, args) => ({ cmd: file, args: args((f) => `${dir}/${f}`), env: minimalEnv(dir) }),
    };
  }
  const docker = await dockerAnswers();
  if (!docker.ok) {
    const local = opts.connectorsDir
      ? `there is no file "${opts.pkg}" in SYNC_CONNECTORS_DIR`
      : "SYNC_CONNECTORS_DIR is not set";
    throw new AppError(
      "connector_unavailable",
      `Cannot run connector "${opts.pkg}": ${local}, and no Docker daemon answers (${docker.error}). ` +
        `Start Docker, or put an executable named "${opts.pkg}" in SYNC_CONNECTORS_DIR.`,
      { status: 422 },
    );
  }
  if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(opts.version)) {
    throw new ValidationError(
      `Cannot run connector "${opts.pkg}": version "${opts.version}" is not a Docker tag`,
      [
        { path: "version", message: "must be a Docker tag" },
      ],
    );
  }
  return dockerLaunch(opts.pkg, opts.version, opts.runId);
}

/** `docker run --rm -i` of `pkg:version` with the run's folder mounted at /sluice. */
export function dockerLaunch(pkg: string, version: string, runId: string): Launch {
  const container = `sluice-sync-${runId}`;
  const image = `${pkg}:${version}`;
  return {
    kind: "docker",
    container,
    command: (dir, args) => ({
      cmd: "docker",
      args: [
        "run",
        "--rm",
        "-i",
        "--name",
        container,
        "-v",
        `${dir}:/sluice`,
        "-w",
        "/sluice",
        image,
        ...args((f) => `/sluice/${f}`),
      ],
      env: { ...minimalEnv(dir), ...dockerEnv() },
    }),
  };
}

/** The Docker client's own settings, passed through so a remote or rootless daemon is still found. */
function dockerEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (
    const k of ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"]
  ) {
    const x = Deno.env.get(k);
    if (x !== undefined) out[k] = x;
  }
  return out;
}
