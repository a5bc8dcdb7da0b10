/** The window store in memory: unit tests, and the local platform when it runs without dynalite. */
import type { OpenWindow, WindowStore } from './windowStore.ts';

export class MemoryWindowStore implements WindowStore {
  private readonly open = new Map<string, OpenWindow>();

  async openWindow(window: OpenWindow): Promise<void> {
    this.open.set(key(window.service, window.environment), window);
  }

  async findOpenWindow(service: string, environment: string): Promise<OpenWindow | undefined> {
    return this.open.get(key(service, environment));
  }

  /** Compare-and-delete on the token, the in-memory analogue of the conditional write. */
  async closeWindow(service: string, environment: string, token: string): Promise<boolean> {
    const k = key(service, environment);
    if (this.open.get(k)?.token !== token) return false;
    this.open.delete(k);
    return true;
  }

  get size(): number {
    return this.open.size;
  }
}

function key(service: string, environment: string): string {
  return JSON.stringify([service, environment]);
}
