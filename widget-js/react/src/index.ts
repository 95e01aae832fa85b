// @sluice/react: the Sluice importer in a React app, as a hook (`useSluiceImporter`) and a
// button component (`<SluiceImporter>`), both thin over @sluice/widget's loader: one importer
// per mounted component, its settings kept in step with the props, destroyed on unmount.
import { createElement, type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { type Importer, type ImporterConfig, importer as makeImporter } from '@sluice/widget';

export type { Attribute, DynamicColumn, ImportResult, ImporterConfig, Preload, StartToken, WidgetOptions } from '@sluice/widget';

/** What `useSluiceImporter` gives: open and close the importer, and whether it is open. */
export interface SluiceImporterHandle {
  /** Opens the importer (loading it first, on the first call). */
  open: () => void;
  close: () => void;
  /** Loads the importer without opening it (for a button's hover or focus). */
  preload: () => void;
  /** Whether the importer's modal is on screen. */
  isOpen: boolean;
  /** Whether the importer has loaded and said it is ready. */
  isReady: boolean;
  /** The loader's importer, for what the handle does not cover; null before mount. */
  importer: Importer | null;
}

/**
 * One Sluice importer for the component's lifetime. `importer` and `server` fix it (a change
 * makes a new one); `user`, `attributes`, `options` and `dynamicColumns` are sent whenever their
 * content changes; the callbacks used are always the latest passed.
 */
export function useSluiceImporter(config: ImporterConfig): SluiceImporterHandle {
  const latest = useRef(config);
  latest.current = config;
  const [instance, setInstance] = useState<Importer | null>(null);
  const [isOpen, setOpen] = useState(false);
  const [isReady, setReady] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the importer is remade only for another importer or server; settings follow below.
  useEffect(() => {
    const made = makeImporter(withCallbacks(config, latest, setOpen, setReady));
    setInstance(made);
    return () => {
      made.destroy();
      setInstance(null);
      setOpen(false);
      setReady(false);
    };
  }, [config.importer, config.server]);

  useSetting(instance, config.user, (i, user) => i.setUser(user));
  useSetting(instance, config.attributes, (i, attributes) => i.setAttributes(attributes));
  useSetting(instance, config.options, (i, options) => i.setOptions(options));
  useSetting(instance, config.dynamicColumns, (i, columns) => i.setDynamicColumns(columns));

  const open = useCallback(() => {
    instance?.open();
    if (instance) setOpen(true);
  }, [instance]);
  const close = useCallback(() => {
    instance?.close();
    setOpen(false);
  }, [instance]);
  const preload = useCallback(() => void instance?.preload(), [instance]);
  return { open, close, preload, isOpen, isReady, importer: instance };
}

/** The config with callbacks that track the modal's state and call the latest props' callbacks. */
function withCallbacks(
  config: ImporterConfig,
  latest: { current: ImporterConfig },
  setOpen: (open: boolean) => void,
  setReady: (ready: boolean) => void,
): ImporterConfig {
  return {
    ...config,
    onReady: () => {
      setReady(true);
      latest.current.onReady?.();
    },
    onLoadStart: () => latest.current.onLoadStart?.(),
    onSubmit: (info) => latest.current.onSubmit?.(info),
    onComplete: (result) => latest.current.onComplete?.(result),
    onError: (error) => latest.current.onError?.(error),
    onClose: () => {
      setOpen(false);
      latest.current.onClose?.();
    },
  };
}

/** Sends a setting to the importer when its content (not its identity) changes. */
function useSetting<T>(instance: Importer | null, value: T | undefined, send: (importer: Importer, value: T) => void): void {
  const content = value === undefined ? undefined : JSON.stringify(value);
  const sent = useRef<{ instance: Importer | null; content: string | undefined }>({ instance: null, content: undefined });
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a change of content matters; `value` and `send` are new objects on each render.
  useEffect(() => {
    if (!instance || value === undefined) return;
    if (sent.current.instance === instance && sent.current.content === content) return;
    sent.current = { instance, content };
    send(instance, value);
  }, [instance, content]);
}

/** `<SluiceImporter>`'s props: the importer's config, and the button's. */
export interface SluiceImporterProps extends ImporterConfig {
  /** The button's content; by default "Import". */
  children?: ReactNode;
  className?: string;
  disabled?: boolean;
}

/** A button that opens the importer: `<SluiceImporter importer="contacts" server="…" onComplete={…}>Import contacts</SluiceImporter>`. */
export function SluiceImporter({ children, className, disabled, ...config }: SluiceImporterProps): ReactNode {
  const handle = useSluiceImporter(config);
  return createElement(
    'button',
    {
      type: 'button',
      className,
      disabled: disabled || !handle.importer,
      'aria-haspopup': 'dialog',
      onClick: handle.open,
      onPointerEnter: handle.preload,
      onFocus: handle.preload,
    },
    children ?? 'Import',
  );
}
