// A Vue app embedding Sluice with @sluice/vue, for developer.test.mjs: <SluiceImporter> with its
// default slot as the button; what its events carry goes to window.sluiceEvents.
import { createApp, h } from 'vue';
import { SluiceImporter } from '@sluice/vue';

const server = window.SLUICE_URL;
window.sluiceEvents = [];
const record = (name, detail) => window.sluiceEvents.push(detail === undefined ? { name } : { name, detail });

createApp({
  render: () =>
    h(
      SluiceImporter,
      {
        importer: 'demo',
        server,
        user: { user_id: 'vue-user' },
        onReady: () => record('ready'),
        onSubmit: (info) => record('submit', info),
        onComplete: (result) => record('complete', result),
        onError: (error) => record('error', error),
        onClose: () => record('close'),
      },
      { default: ({ open, isOpen }) => h('button', { type: 'button', id: 'open', onClick: open }, isOpen ? 'Importing' : 'Import contacts') },
    ),
}).mount('#app');
