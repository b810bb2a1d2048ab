// Chat page (browser): rooms, history on join, presence, typing, private messages, reconnecting and recovered states,
// messages pending until acknowledged, a visible break where a server restart lost the history.
// This file is the entry point: signing in and out, and the page's form and button events; the parts live beside it.
import { start } from './connection.ts';
import { stopTyping, typing, updateTyping } from './drafting.ts';
import { join, leave, showRooms } from './rooms.ts';
import { sendMessage } from './send.ts';
import { fail, session } from './session.ts';
import { SignInError, forgetName, rememberedName } from './sign-in.ts';
import { clearError, renderRoom, setStatus, showError, showSignedIn, ui } from './view.ts';

function signIn(name: string): void {
  setStatus('connecting');
  clearError();
  ui.loginButton.disabled = true;
  start(name)
    .catch((err: unknown) => {
      session.client?.close();
      session.client = null;
      // A refused name is not signed in again on the next reload; an unreachable server is.
      if (err instanceof SignInError && err.refused) forgetName();
      setStatus('error');
      fail(err);
    })
    .finally(() => {
      ui.loginButton.disabled = false;
    });
}

function signOut(): void {
  const c = session.client;
  session.client = null;
  forgetName();
  c?.close();
  session.rooms.clear();
  session.current = null;
  session.me = '';
  typing.reset();
  ui.messageInput.value = '';
  showSignedIn(null);
  showRooms();
  renderRoom(undefined);
  clearError();
  setStatus('signedout');
  ui.loginName.focus();
}

// ---------------------------------------------------------------------------------------------- events

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  signIn(ui.loginName.value.trim());
});

ui.signOut.addEventListener('click', signOut);

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.roomInput.value.trim();
  ui.roomInput.value = '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    showError('A room name is 1-64 of A-Z a-z 0-9 _ -');
    return;
  }
  join(name).catch(fail);
});

ui.leave.addEventListener('click', () => {
  leave().catch(fail);
});

ui.messageInput.addEventListener('input', updateTyping);

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim();
  if (text === '') return;
  ui.messageInput.value = '';
  clearError();
  stopTyping();
  sendMessage(text).catch(fail);
});

setStatus('signedout');
const remembered = rememberedName();
if (remembered !== null) {
  // A reload: sign in again with the name this tab chose.
  ui.loginName.value = remembered;
  signIn(remembered);
}
