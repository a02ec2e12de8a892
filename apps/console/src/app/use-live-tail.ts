import { useEffect, useState } from 'react';
import { asApiError, isAbort, type ApiClient } from './api';
import { viewQuery, type ConsoleFilters, type TimeWindow } from './filters';
import type { EventSummary } from './types';

/** Most live events the table keeps above the loaded pages; older ones are still in the list below once reloaded. */
export const MAX_LIVE_EVENTS = 500;

/** One Server-Sent Event frame (comments and retry lines are not kept). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

/** Splits what arrived so far into whole frames and the unfinished rest (frames end with a blank line). */
export function splitFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  // A chunk may end between the \r and \n of one line break: that \r waits for the next chunk.
  const pending = buffer.endsWith('\r') ? '\r' : '';
  const blocks = buffer.slice(0, buffer.length - pending.length).replace(/\r\n?/g, '\n').split('\n\n');
  const rest = (blocks.pop() ?? '') + pending;
  for (const block of blocks) {
    const frame: SseFrame = {};
    for (const line of block.split('\n')) {
      const match = /^(id|event|data): ?(.*)$/.exec(line);
      if (match) frame[match[1] as keyof SseFrame] = frame[match[1] as keyof SseFrame] && match[1] === 'data' ? `${frame.data}\n${match[2]}` : match[2];
    }
    if (frame.event || frame.data) frames.push(frame);
  }
  return { frames, rest };
}

export interface LiveTail {
  /** Events received since Live was turned on (or the view changed), newest first. */
  items: EventSummary[];
  status: 'off' | 'connecting' | 'live' | 'reconnecting' | 'error';
  error?: string;
}

/**
 * Streams the view's events from `GET /v1/events/stream` while `query` is not null: each one goes to the
 * top. A dropped stream is reopened after a moment with `Last-Event-ID`, so nothing is missed or repeated;
 * a refusal other than "busy" or "unavailable" (a bad search, a lost session) stops it with the reason.
 */
export function useLiveTail(api: ApiClient, query: URLSearchParams | null): LiveTail {
  const [state, setState] = useState<LiveTail>({ items: [], status: 'off' });
  const key = query?.toString() ?? null;

  useEffect(() => {
    if (key === null) {
      setState({ items: [], status: 'off' });
      return;
    }
    const controller = new AbortController();
    let lastId: string | undefined;
    setState({ items: [], status: 'connecting' });
    const run = async () => {
      while (!controller.signal.aborted) {
        try {
          const body = await api.stream('/v1/events/stream', new URLSearchParams(key), controller.signal, lastId ? { 'last-event-id': lastId } : {});
          setState((s) => ({ ...s, status: 'live', error: undefined }));
          // TypeScript's DOM types give TextDecoderStream a BufferSource writable, wider than the body's bytes.
          const reader = body.pipeThrough(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const { frames, rest } = splitFrames(buffer + value);
            buffer = rest;
            const arrived: EventSummary[] = [];
            for (const frame of frames) {
              if (frame.event !== 'event' || !frame.data) continue;
              if (frame.id) lastId = frame.id;
              arrived.unshift(JSON.parse(frame.data) as EventSummary);
            }
            if (arrived.length > 0) setState((s) => ({ ...s, items: [...arrived, ...s.items].slice(0, MAX_LIVE_EVENTS) }));
          }
        } catch (error) {
          if (controller.signal.aborted || isAbort(error)) return;
          const apiError = asApiError(error);
          if (apiError.status >= 400 && apiError.status < 500 && apiError.status !== 429) {
            setState((s) => ({ ...s, status: 'error', error: apiError.describe() }));
            return;
          }
          setState((s) => ({ ...s, status: 'reconnecting', error: apiError.describe() }));
        }
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, status: 'reconnecting' }));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    };
    void run();
    return () => controller.abort();
  }, [api, key]);

  return state;
}

/**
 * The stream's parameters for a view: its filters, and its window only when it is a custom one (a preset
 * ends "now", and the events to come are after it).
 */
export function liveQuery(filters: ConsoleFilters, window: TimeWindow): URLSearchParams {
  const query = viewQuery(filters, window);
  if (filters.range !== 'custom') {
    query.delete('from');
    query.delete('to');
  }
  return query;
}
