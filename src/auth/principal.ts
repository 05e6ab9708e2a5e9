/** How the caller proved who they are; recorded in the audit log. */
export type Via =
  | { kind: "api_key"; keyId: string }
  | { kind: "oauth"; clientId: string; grantId: string; tokenId: string }
  | { kind: "session"; sessionId: string }
  | { kind: "cli" };

/** An authenticated caller. Every service checks access against this, never against raw headers. */
export interface Principal {
  userId: string;
  email: string;
  isAdmin: boolean;
  via: Via;
  /** Workspaces this credential is limited to (OAuth grants); null means all the user can access. */
  workspaceIds: string[] | null;
  /** False for read-only credentials (read-only OAuth grants). */
  canWrite: boolean;
}

/** The principal for the operator's CLI: acts as the given user with full access. */
export function cliPrincipal(user: { id: string; email: string; is_admin: boolean }): Principal {
  return {
    userId: user.id,
    email: user.email,
    isAdmin: user.is_admin,
    via: { kind: "cli" },
    workspaceIds: null,
    canWrite: true,
  };
}
