/**
 * Graceful drain of open sessions: each is closed with 1001 as soon as it has no running
 * response, and every one that is still busy at the deadline is closed then.
 */
import type { WebSocket } from 'ws';
import type { RealtimeSession } from '../session/realtime-session.js';

/** Close code for sessions ended by a shutdown (going away). */
export const CLOSE_GOING_AWAY = 1001;
/** How long a closed socket has to finish its closing handshake before it is cut. */
export const CLOSE_GRACE_MS = 2_000;

/** Closes one session now: nothing more is sent, then close 1001 (cut after the grace period). */
export function closeSession(ws: WebSocket, session: RealtimeSession): Promise<void> {
  session.close();
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(CLOSE_GOING_AWAY, 'server shutting down');
  });
}

/**
 * Lets running responses finish, up to `deadlineMs`, closing each session as it becomes idle;
 * resolves when every session given is closed.
 */
export async function drainSessions(
  sessions: ReadonlyMap<WebSocket, RealtimeSession>,
  deadlineMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  await Promise.all(
    [...sessions].map(async ([ws, session]) => {
      await Promise.race([session.whenIdle(), deadline]);
      await closeSession(ws, session);
    }),
  );
  clearTimeout(timer);
}
