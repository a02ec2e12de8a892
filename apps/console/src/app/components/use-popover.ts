import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';

/**
 * Open/close behaviour shared by the header and filter popovers: Escape closes and gives focus back to the
 * button that opened it, a click outside closes, and focus moves into the panel when it opens.
 */
export function usePopover(onClose?: () => void) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  const close = useCallback((returnFocus = true) => {
    setOpen(false);
    onCloseRef.current?.();
    if (returnFocus) buttonRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    const first = panelRef.current?.querySelector<HTMLElement>('input, button, a[href], textarea, select');
    first?.focus();
    const onPointer = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panelRef.current?.contains(target) && !buttonRef.current?.contains(target)) close(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open, close]);

  const onKeyDown = useCallback(
    (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        close();
      }
    },
    [close],
  );

  const toggle = useCallback(() => (open ? close() : setOpen(true)), [open, close]);
  return { open, setOpen, toggle, close, buttonRef, panelRef, onKeyDown };
}
