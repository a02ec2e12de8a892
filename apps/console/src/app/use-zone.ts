import { useCallback, useSyncExternalStore } from 'react';
import { displayZone, setDisplayZone, type DisplayZone } from './format';

const listeners = new Set<() => void>();
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** The zone times are shown in, and its switch: a change re-renders whoever uses this (the shell, so the whole page). */
export function useDisplayZone(): [DisplayZone, (zone: DisplayZone) => void] {
  const zone = useSyncExternalStore(subscribe, displayZone);
  const change = useCallback((next: DisplayZone) => {
    setDisplayZone(next);
    listeners.forEach((l) => l());
  }, []);
  return [zone, change];
}
