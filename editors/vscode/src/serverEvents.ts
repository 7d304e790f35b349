/**
 * What the server is doing, observed from the messages it sends.
 *
 * The language client turns the server's work-done progress into a small spinner of its own;
 * the status bar wants the same information (opening the profile, loading the model, training,
 * rewriting). A `MessageStrategy` (vscode-jsonrpc's documented hook, called for every incoming
 * message) lets the extension look at `$/progress` and `window/showMessage` on their way to
 * the client without replacing the client's handlers. Every message is passed on unchanged.
 */
import type { Message, MessageStrategy } from 'vscode-languageserver-protocol';

export interface Activity {
  token: string;
  title: string;
  message?: string;
  percentage?: number;
}

export interface ShownMessage {
  type: number;
  text: string;
  at: number;
}

export interface EventSink {
  /** Progress began, advanced or ended; `active` is everything still running. */
  onActivity(active: Activity[], ended?: Activity): void;
  /** The server showed the user a message. */
  onMessage?(message: ShownMessage): void;
}

const MESSAGE_MEMORY_MS = 15_000;

interface NotificationLike {
  method?: unknown;
  params?: unknown;
  id?: unknown;
}

export class ServerEvents {
  private readonly active = new Map<string, Activity>();
  private readonly shown: ShownMessage[] = [];

  constructor(
    private readonly sink: EventSink,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Pass to the client's `connectionOptions.messageStrategy`. */
  readonly strategy: MessageStrategy = {
    handleMessage: (message: Message, next: (message: Message) => void): void => {
      try {
        this.observe(message);
      } catch {
        // observing must never lose a message
      }
      next(message);
    },
  };

  get activities(): Activity[] {
    return [...this.active.values()];
  }

  /** Look at one incoming message. */
  observe(message: Message): void {
    const note = message as NotificationLike;
    if (note.id !== undefined || typeof note.method !== 'string') {
      return; // requests and responses are not ours to look at
    }
    if (note.method === '$/progress') {
      this.progress(note.params);
    } else if (note.method === 'window/showMessage') {
      this.showMessage(note.params);
    }
  }

  private progress(params: unknown): void {
    const p = params as { token?: unknown; value?: Record<string, unknown> } | undefined;
    if (!p || (typeof p.token !== 'string' && typeof p.token !== 'number') || !p.value) {
      return;
    }
    const token = String(p.token);
    const value = p.value;
    const message = typeof value.message === 'string' ? value.message : undefined;
    const percentage = typeof value.percentage === 'number' ? value.percentage : undefined;
    if (value.kind === 'begin') {
      const title = typeof value.title === 'string' ? value.title : 'InkMod';
      this.active.set(token, { token, title, message, percentage });
      this.sink.onActivity(this.activities);
    } else if (value.kind === 'report') {
      const current = this.active.get(token);
      if (current) {
        this.active.set(token, {
          ...current,
          message: message ?? current.message,
          percentage: percentage ?? current.percentage,
        });
        this.sink.onActivity(this.activities);
      }
    } else if (value.kind === 'end') {
      const current = this.active.get(token);
      if (current) {
        this.active.delete(token);
        this.sink.onActivity(this.activities, { ...current, message: message ?? current.message });
      }
    }
  }

  private showMessage(params: unknown): void {
    const p = params as { type?: unknown; message?: unknown } | undefined;
    if (!p || typeof p.message !== 'string') {
      return;
    }
    const type = typeof p.type === 'number' ? p.type : 3;
    const entry = { type, text: p.message, at: this.now() };
    this.shown.push(entry);
    while (this.shown.length > 0 && entry.at - this.shown[0].at > MESSAGE_MEMORY_MS) {
      this.shown.shift();
    }
    this.sink.onMessage?.(entry);
  }

  /** Whether the server recently showed a message containing `text` (to avoid repeating it). */
  wasShown(text: string): boolean {
    const cutoff = this.now() - MESSAGE_MEMORY_MS;
    const needle = text.replace(/^InkMod: /, '').trim();
    return this.shown.some((m) => m.at >= cutoff && needle.length > 0 && m.text.includes(needle));
  }

  /** Forget running work (the server stopped). */
  reset(): void {
    this.active.clear();
  }
}

/** A short status-bar description of what is running (the most recent activity wins). */
export function describeActivity(active: readonly Activity[]): string | undefined {
  const last = active[active.length - 1];
  if (!last) {
    return undefined;
  }
  const title = last.title.replace(/^InkMod:?\s*/, '');
  const message = last.message?.trim();
  let text = title && message ? `${title}: ${message}` : title || message || 'working';
  if (text.length > 60) {
    text = `${text.slice(0, 59)}…`;
  }
  return text;
}

/** Is this the server's start-up progress (opening the profile, starting the daemon)? */
export function isStartup(activity: Activity): boolean {
  return activity.title === 'InkMod';
}
