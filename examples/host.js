// The example host page's script: one importer, its options from the form, the result shown.
/* global Sluice */
const $ = (id) => document.getElementById(id);
const show = (value) => ($('result').textContent = JSON.stringify(value, null, 2));

const importer = Sluice.importer({
  importer: 'demo',
  user: { user_id: $('user').value },
  attributes: { source: 'example host page' },
  options: { rememberMapping: true },
  // The importer loads when the page is idle, so that it opens at once; `?preload=none` shows
  // the default, where nothing but the loader loads before the first click.
  preload: new URLSearchParams(location.search).get('preload') === 'none' ? 'none' : 'idle',
  onReady: () => document.body.setAttribute('data-importer-ready', ''),
  onSubmit: (info) => show({ event: 'submit', ...info }),
  onComplete: (result) => show({ event: 'complete', ...result }),
  onError: (error) => show({ event: 'error', ...error }),
  onClose: () => $('open').focus(),
});

$('open').addEventListener('click', () => {
  importer.setUser({ user_id: $('user').value });
  importer.setOptions({
    language: $('language').value || undefined,
    theme: $('theme').value,
    allowInvalid: $('allow-invalid').checked,
  });
  importer.open();
});
