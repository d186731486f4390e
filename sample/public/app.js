// The page: one tab per chat, each with its own Server-Sent-Events stream of the bus's events for that chat.
'use strict';

const chats = new Map(); // chatId -> { button, log, source, pending, typing }
let current;

const main = document.getElementById('chat');
const tabs = document.getElementById('tabs');
const input = document.getElementById('message');

function openChat(chatId) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = chatId;
  button.append(Object.assign(document.createElement('span'), { className: 'dot' }));
  button.addEventListener('click', () => show(chatId));
  tabs.insertBefore(button, document.getElementById('new-chat'));
  const chat = { button, log: document.createElement('div'), pending: undefined, typing: undefined };
  chat.log.style.display = 'contents';
  chat.source = new EventSource(`/api/chats/${chatId}/events`);
  chat.source.addEventListener('typing', (event) => setTyping(chat, JSON.parse(event.data).active));
  chat.source.addEventListener('placeholder', (event) => onPlaceholder(chat, JSON.parse(event.data)));
  chat.source.addEventListener('draft', (event) => answerBubble(chat, 'streaming').textContent = JSON.parse(event.data).text);
  chat.source.addEventListener('final', (event) => onFinal(chat, JSON.parse(event.data).text));
  chat.source.addEventListener('bye', () => {
    chat.source.close();
    add(chat, 'notice', 'The server shut down after answering everything. Reload once it is back.');
  });
  chats.set(chatId, chat);
  show(chatId);
}

function show(chatId) {
  current = chatId;
  for (const [id, chat] of chats) chat.button.setAttribute('aria-selected', String(id === chatId));
  main.replaceChildren(chats.get(chatId).log);
  input.focus();
}

function add(chat, kind, text) {
  const bubble = Object.assign(document.createElement('div'), { className: `bubble ${kind}`, textContent: text });
  if (kind === 'answer') bubble.dataset.testid = 'answer';
  chat.log.insertBefore(bubble, chat.typing ?? null);
  main.scrollTop = main.scrollHeight;
  return bubble;
}

/** The answer being written: the placeholder's bubble, or a new one. */
function answerBubble(chat, state) {
  chat.pending ??= add(chat, 'answer', '');
  chat.pending.className = `bubble answer ${state}`;
  chat.button.classList.add('busy');
  return chat.pending;
}

function onPlaceholder(chat, { text, removed }) {
  if (!removed) return void (answerBubble(chat, 'thinking').textContent = text);
  // The answer was streamed into its own bubble; a placeholder still "thinking" goes away.
  if (chat.pending?.classList.contains('thinking')) {
    chat.pending.remove();
    chat.pending = undefined;
  }
}

function onFinal(chat, text) {
  const bubble = answerBubble(chat, 'done');
  bubble.textContent = text;
  chat.pending = undefined;
  chat.button.classList.remove('busy');
}

function setTyping(chat, active) {
  if (active && chat.typing === undefined) {
    chat.typing = Object.assign(document.createElement('div'), { className: 'typing', textContent: 'agent is typing…' });
    chat.log.append(chat.typing);
  } else if (!active && chat.typing !== undefined) {
    chat.typing.remove();
    chat.typing = undefined;
  }
}

document.getElementById('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const content = input.value.trim();
  if (content === '') return;
  const chat = chats.get(current);
  input.value = '';
  add(chat, 'user', content);
  const response = await fetch(`/api/chats/${current}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content }),
  });
  if (!response.ok) add(chat, 'notice', `Not sent (${response.status}): ${(await response.json().catch(() => ({}))).message ?? response.statusText}`);
});

document.getElementById('new-chat').addEventListener('click', () => openChat(`chat-${chats.size + 1}`));

async function pollStats() {
  try {
    const { lanes, handlers, closing } = await (await fetch('/api/bus/stats')).json();
    const agent = handlers.find((handler) => handler.lane === 'inbound');
    const p50 = agent?.p50Ms == null ? '–' : `${Math.round(agent.p50Ms)} ms`;
    document.getElementById('status').textContent =
      `inbound ${lanes.inbound.size}/${lanes.inbound.capacity} · in flight ${agent?.inFlight ?? 0} · ` +
      `delivered ${lanes.inbound.delivered} · answer p50 ${p50}${closing ? ' · draining' : ''}`;
  } catch {
    document.getElementById('status').textContent = 'server unreachable';
  }
}

openChat('chat-1');
pollStats();
setInterval(pollStats, 1000);
