// @sluice/vue: the Sluice importer in a Vue 3 app, a component thin over @sluice/widget's loader:
// one importer per mounted component, its settings kept in step with the props, its events
// emitted, destroyed on unmount. The default slot gets `{ open, close, isOpen, isReady }`;
// without one the component is an "Import" button.
import { defineComponent, h, onBeforeUnmount, onMounted, type PropType, shallowRef, watch } from 'vue';
import {
  type Attribute,
  type DynamicColumn,
  type Importer,
  type ImporterConfig,
  type ImportResult,
  importer as makeImporter,
  type Preload,
  type StartToken,
  type WidgetOptions,
} from '@sluice/widget';

export type { Attribute, DynamicColumn, ImportResult, ImporterConfig, Preload, StartToken, WidgetOptions } from '@sluice/widget';

/** What the default slot gets. */
export interface SluiceImporterSlot {
  open: () => void;
  close: () => void;
  isOpen: boolean;
  isReady: boolean;
}

/**
 * `<SluiceImporter importer="contacts" server="https://…" @complete="onComplete" />`: `importer`
 * and `server` fix the importer (a change makes a new one); `user`, `attributes`, `options` and
 * `dynamicColumns` are sent whenever they change; events: ready, load-start, submit, complete,
 * error, close.
 */
export const SluiceImporter = defineComponent({
  name: 'SluiceImporter',
  props: {
    importer: { type: String, required: true },
    server: { type: String, default: undefined },
    user: { type: Object as PropType<Record<string, Attribute>>, default: undefined },
    attributes: { type: Object as PropType<Record<string, Attribute>>, default: undefined },
    options: { type: Object as PropType<WidgetOptions>, default: undefined },
    dynamicColumns: { type: Array as PropType<DynamicColumn[]>, default: undefined },
    startToken: { type: [String, Function] as PropType<StartToken>, default: undefined },
    preload: { type: String as PropType<Preload>, default: undefined },
  },
  emits: {
    ready: () => true,
    loadStart: () => true,
    submit: (_info: { rows: number; file: { name: string; size: number } }) => true,
    complete: (_result: ImportResult) => true,
    error: (_error: { code: string; message: string }) => true,
    close: () => true,
  },
  setup(props, { emit, slots, expose }) {
    const instance = shallowRef<Importer | null>(null);
    const isOpen = shallowRef(false);
    const isReady = shallowRef(false);
    const make = () => {
      instance.value?.destroy();
      isOpen.value = false;
      isReady.value = false;
      instance.value = makeImporter(configOf(props, events));
    };
    const events: Events = {
      onReady: () => {
        isReady.value = true;
        emit('ready');
      },
      onLoadStart: () => emit('loadStart'),
      onSubmit: (info) => emit('submit', info),
      onComplete: (result) => emit('complete', result),
      onError: (error) => emit('error', error),
      onClose: () => {
        isOpen.value = false;
        emit('close');
      },
    };
    onMounted(make);
    onBeforeUnmount(() => instance.value?.destroy());
    watch(() => [props.importer, props.server], make);
    watch(
      () => props.user,
      (user) => user && instance.value?.setUser(user),
      { deep: true },
    );
    watch(
      () => props.attributes,
      (attributes) => attributes && instance.value?.setAttributes(attributes),
      { deep: true },
    );
    watch(
      () => props.options,
      (options) => options && instance.value?.setOptions(options),
      { deep: true },
    );
    watch(
      () => props.dynamicColumns,
      (columns) => columns && instance.value?.setDynamicColumns(columns),
      { deep: true },
    );
    const open = () => {
      instance.value?.open();
      isOpen.value = instance.value !== null;
    };
    const close = () => {
      instance.value?.close();
      isOpen.value = false;
    };
    expose({ open, close });
    return () => {
      const slot: SluiceImporterSlot = { open, close, isOpen: isOpen.value, isReady: isReady.value };
      if (slots['default']) return slots['default'](slot);
      return h('button', { type: 'button', 'aria-haspopup': 'dialog', onClick: open, onPointerenter: () => instance.value?.preload() }, 'Import');
    };
  },
});

/** The importer's callbacks. */
type Events = Pick<ImporterConfig, 'onReady' | 'onLoadStart' | 'onSubmit' | 'onComplete' | 'onError' | 'onClose'>;

/** The loader's config from the props and the callbacks. */
function configOf(
  props: {
    importer: string;
    server?: string | undefined;
    user?: Record<string, Attribute> | undefined;
    attributes?: Record<string, Attribute> | undefined;
    options?: WidgetOptions | undefined;
    dynamicColumns?: DynamicColumn[] | undefined;
    startToken?: StartToken | undefined;
    preload?: Preload | undefined;
  },
  events: Events,
): ImporterConfig {
  const config: ImporterConfig = { importer: props.importer, ...events };
  if (props.server) config.server = props.server;
  if (props.user) config.user = { ...props.user };
  if (props.attributes) config.attributes = { ...props.attributes };
  if (props.options) config.options = { ...props.options };
  if (props.dynamicColumns) config.dynamicColumns = [...props.dynamicColumns];
  if (props.startToken) config.startToken = props.startToken;
  if (props.preload) config.preload = props.preload;
  return config;
}

export default SluiceImporter;
