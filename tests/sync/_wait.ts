/** Waits for sync tasks in tests (runs go on in the background). */
import type { TestUser } from "../_helpers/app.ts";
import { listSyncTasks } from "../../src/sync/syncs.ts";

type PublicTask = Awaited<ReturnType<typeof listSyncTasks>>["tasks"][number];

/** Polls until `taskId` has a final status (or 30 s passed) and returns the task. */
export async function waitForTask(u: TestUser, connectionId: string, taskId: string): Promise<PublicTask> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const { tasks } = await listSyncTasks(u.ctx, { workspaceId: u.workspace.id, connectionId, taskId });
    if (["SUCCESS", "FAILED", "CANCELLED"].includes(tasks[0].status)) return tasks[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskId} did not finish in 30 s`);
}

/** Polls until the task is RUNNING. */
export async function waitForRunning(u: TestUser, connectionId: string, taskId: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const { tasks } = await listSyncTasks(u.ctx, { workspaceId: u.workspace.id, connectionId, taskId });
    if (tasks[0].status === "RUNNING") return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskId} did not start in 30 s`);
}
