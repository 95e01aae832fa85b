// A React app embedding Sluice with @sluice/react, for developer.test.mjs: `?view=component`
// renders <SluiceImporter>, `?view=hook` a button of its own over useSluiceImporter. What the
// callbacks receive goes to window.sluiceEvents.
import { createRoot } from 'react-dom/client';
import { SluiceImporter, useSluiceImporter } from '@sluice/react';

const server = window.SLUICE_URL;
window.sluiceEvents = [];
const record = (name, detail) => window.sluiceEvents.push(detail === undefined ? { name } : { name, detail });
const callbacks = {
  onReady: () => record('ready'),
  onSubmit: (info) => record('submit', info),
  onComplete: (result) => record('complete', result),
  onError: (error) => record('error', error),
  onClose: () => record('close'),
};

function WithHook() {
  const importer = useSluiceImporter({ importer: 'demo', server, user: { user_id: 'react-hook' }, ...callbacks });
  return (
    <p>
      <button type="button" id="open" onClick={importer.open}>
        Import with the hook
      </button>
      <output id="state">{importer.isOpen ? 'open' : 'closed'}</output>
    </p>
  );
}

function WithComponent() {
  return (
    <SluiceImporter importer="demo" server={server} user={{ user_id: 'react-component' }} className="import" {...callbacks}>
      Import contacts
    </SluiceImporter>
  );
}

const view = new URLSearchParams(location.search).get('view');
createRoot(document.getElementById('app')).render(view === 'hook' ? <WithHook /> : <WithComponent />);
