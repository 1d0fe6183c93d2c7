// Sample CRM: the reference for vendors integrating with agentdesk.
// Messages go to the embedding desktop (window.parent) with its exact origin as
// targetOrigin; replies and events are accepted only from that window and origin.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var tbody = document.querySelector('#params tbody');
  params.forEach(function (value, key) {
    var tr = document.createElement('tr');
    var k = document.createElement('td'); k.textContent = key;
    var v = document.createElement('td'); v.textContent = value; v.id = 'param-' + key;
    tr.appendChild(k); tr.appendChild(v); tbody.appendChild(tr);
  });

  // The desktop's origin: the ancestor the browser reports, else the referrer's origin.
  var desktopOrigin = null;
  if (location.ancestorOrigins && location.ancestorOrigins.length) {
    desktopOrigin = location.ancestorOrigins[0];
  } else if (document.referrer) {
    desktopOrigin = new URL(document.referrer).origin;
  }
  document.getElementById('desktop-origin').textContent = desktopOrigin || 'not embedded';

  var log = document.getElementById('log');
  function note(kind, text) {
    var li = document.createElement('li');
    li.className = kind;
    li.textContent = (kind === 'out' ? '→ ' : '← ') + text;
    log.insertBefore(li, log.firstChild);
  }

  var counter = 0;
  function send(message) {
    if (!desktopOrigin || window.parent === window) {
      note('error', 'not inside the desktop: nothing sent');
      return;
    }
    if (document.getElementById('with-id').checked) {
      message.id = 'crm-' + (++counter);
    }
    note('out', JSON.stringify(message));
    window.parent.postMessage(message, desktopOrigin);
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== desktopOrigin) {
      return; // not from our desktop: ignore
    }
    var data = event.data;
    var kind = data && data.action === 'ERROR' ? 'error' : 'in';
    note(kind, JSON.stringify(data));
  });

  function value(id) { return document.getElementById(id).value; }
  document.getElementById('destination').value = params.get('phone') || '';
  document.getElementById('campaign').value = params.get('campaign') || '';
  document.getElementById('guid').value = params.get('guid') || '';

  document.getElementById('make-call').addEventListener('submit', function (e) {
    e.preventDefault();
    send({ action: 'MAKE_CALL', call: {
      destination: value('destination'), campaign: value('campaign'),
      did: value('did'), guid: value('guid') } });
  });
  document.getElementById('btn-hang-up').addEventListener('click', function () {
    send({ action: 'HANG_UP' });
  });
  document.getElementById('disposition').addEventListener('submit', function (e) {
    e.preventDefault();
    send({ action: 'DISPOSITION_CALL', disposition: {
      campaign: value('campaign'), callerid: value('destination'), guid: value('guid'),
      l1: value('l1'), l2: value('l2'), l3: value('l3'), d1: value('d1'), d2: value('d2'),
      comment: value('comment') } });
  });
  document.getElementById('btn-close-tab').addEventListener('click', function () {
    send({ action: 'CLOSE_TAB' });
  });
}());
