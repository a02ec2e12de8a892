import { useCallback, useEffect, useRef, useState } from 'react';
import type { RequestState } from './use-request';

/**
 * Whether an element is on screen in a shown tab, and the callback ref that names the element. Until the
 * element is mounted and observed it counts as off screen, so nothing polls behind a spinner or an error.
 */
export function useOnScreen(): [ref: (element: Element | null) => void, onScreen: boolean] {
  const [element, setElement] = useState<Element | null>(null);
  const [intersecting, setIntersecting] = useState(false);
  const [tabShown, setTabShown] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    const onChange = () => setTabShown(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  useEffect(() => {
    if (!element) return undefined;
    const observer = new IntersectionObserver((entries) => setIntersecting(entries.some((e) => e.isIntersecting)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  const ref = useCallback((next: Element | null) => setElement(next), []);
  return [ref, intersecting && tabShown];
}

/**
 * Reloads a {@link useRequest} every `everyMs` while `active`. The next load is timed from the end of the
 * last one, so requests never overlap however slow the server is; coming back on screen after longer than
 * `everyMs` loads at once.
 */
export function usePolling(request: Pick<RequestState<unknown>, 'status'> & { reload: () => void }, everyMs: number, active: boolean): void {
  const { status, reload } = request;
  const settledAt = useRef(Date.now());
  useEffect(() => {
    if (status !== 'loading') settledAt.current = Date.now();
  }, [status]);
  useEffect(() => {
    if (!active || status === 'loading') return undefined;
    const timer = setTimeout(reload, Math.max(0, everyMs - (Date.now() - settledAt.current)));
    return () => clearTimeout(timer);
  }, [active, status, reload, everyMs]);
}
