/** What a person signed in through an identity provider sees on a screen that needs an API key. */
import { href } from "../router.js";
import { signOut } from "../session.js";
import { Page } from "../ui/parts.js";

export function NeedsKeyScreen({ section }: { section: string }) {
  return (
    <Page title={section}>
      <div class="card">
        <p>
          {section} needs a workspace API key. Signed in through your identity provider, you can decide the
          approval requests an approval rule names your group for, and chat with agents as yourself.
        </p>
        <p>
          <a href={href("approvals")}>Open the approvals inbox</a> ·{" "}
          <a href={href("playground")}>Open the playground</a>
        </p>
        <button type="button" onClick={() => signOut("Sign in with an API key to use every screen.")}>
          Sign out and sign in with an API key
        </button>
      </div>
    </Page>
  );
}
