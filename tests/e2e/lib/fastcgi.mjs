// A minimal FastCGI client (FastCGI 1.0 spec, responder role), to talk to latchkey's socket
// directly where nginx would hide what is being tested (e.g. a request that is half sent when
// SIGTERM arrives).
import net from 'node:net';

const VERSION = 1;
const BEGIN_REQUEST = 1, END_REQUEST = 3, PARAMS = 4, STDIN = 5, STDOUT = 6, STDERR = 7;
const RESPONDER = 1;

function record(type, requestId, content = Buffer.alloc(0)) {
  const padding = (8 - (content.length % 8)) % 8;
  const header = Buffer.alloc(8);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(requestId, 2);
  header.writeUInt16BE(content.length, 4);
  header.writeUInt8(padding, 6);
  return Buffer.concat([header, content, Buffer.alloc(padding)]);
}

function length(n) {
  if (n < 128) return Buffer.from([n]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0);
  return b;
}

export function encodeParams(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    const kb = Buffer.from(k), vb = Buffer.from(String(v));
    parts.push(length(kb.length), length(vb.length), kb, vb);
  }
  return Buffer.concat(parts);
}

// Splits content into records of at most 65535 bytes.
function records(type, requestId, content) {
  const out = [];
  for (let i = 0; i < content.length; i += 65535) out.push(record(type, requestId, content.subarray(i, i + 65535)));
  return out;
}

// Opens a connection and returns {sendBegin, sendParams, finish, response}: the steps of one
// request, so a test can stop between them. response resolves with {status, headers, body,
// stderr, appStatus} when latchkey ends the request, or rejects if the connection drops.
// target: a unix socket path, or { host, port }.
export function fastcgiRequest(target, { requestId = 1 } = {}) {
  const socket = net.connect(typeof target === 'string' ? { path: target } : target);
  const chunks = [];
  const response = new Promise((resolve, reject) => {
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      let stdout = Buffer.alloc(0), stderr = '', appStatus, ended = false;
      for (let i = 0; i + 8 <= data.length;) {
        const type = data[i + 1], len = data.readUInt16BE(i + 4), pad = data[i + 6];
        const content = data.subarray(i + 8, i + 8 + len);
        if (type === STDOUT) stdout = Buffer.concat([stdout, content]);
        else if (type === STDERR) stderr += content.toString();
        else if (type === END_REQUEST) { appStatus = content.readUInt32BE(0); ended = true; }
        i += 8 + len + pad;
      }
      if (!ended) return reject(new Error(`connection closed without END_REQUEST (${data.length} bytes received)`));
      const text = stdout.toString('latin1');
      const split = text.search(/\r?\n\r?\n/);
      const headers = {};
      for (const line of (split >= 0 ? text.slice(0, split) : text).split(/\r?\n/)) {
        const c = line.indexOf(':');
        if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
      }
      const body = split >= 0 ? text.slice(split).replace(/^\r?\n\r?\n/, '') : '';
      resolve({ status: headers.status ? Number(headers.status.split(' ')[0]) : 200, headers, body, stderr, appStatus });
    });
  });
  response.catch(() => {});  // the caller awaits it; no unhandled rejection meanwhile
  const connected = new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const write = (buf) => new Promise((resolve, reject) => socket.write(buf, (err) => (err ? reject(err) : resolve())));
  return {
    connected,
    response,
    socket,
    async sendBegin() {
      await connected;
      const body = Buffer.alloc(8);
      body.writeUInt16BE(RESPONDER, 0);  // flags 0: latchkey closes the connection when done
      await write(record(BEGIN_REQUEST, requestId, body));
    },
    async sendParams(params) { await write(Buffer.concat(records(PARAMS, requestId, encodeParams(params)))); },
    async finish(body = Buffer.alloc(0)) {
      const parts = [record(PARAMS, requestId)];
      if (body.length) parts.push(...records(STDIN, requestId, Buffer.from(body)));
      parts.push(record(STDIN, requestId));
      await write(Buffer.concat(parts));
    },
  };
}

// The params nginx's fastcgi_params would send for a simple GET.
export function cgiParams(uri, extra = {}) {
  const [p, q = ''] = uri.split('?');
  return {
    GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', REQUEST_URI: uri, DOCUMENT_URI: p, SCRIPT_NAME: p,
    QUERY_STRING: q, SERVER_PROTOCOL: 'HTTP/1.1', REQUEST_SCHEME: 'http', REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '50000', SERVER_ADDR: '127.0.0.1', SERVER_PORT: '80', SERVER_NAME: 'localhost', HTTP_HOST: 'localhost',
    CONTENT_LENGTH: '', CONTENT_TYPE: '',
    ...extra,
  };
}
