import { removeArgument } from '../edits';
import { defineRule } from '../rule';
import type { Fix } from '../types';
import { truthiness } from '../values';
import { anchor, argNode } from './helpers';
import { methodCall } from './instance-helpers';
import { appKind } from './serving-helpers';

export default defineRule({
  meta: {
    id: 'TL802',
    name: 'gradio-public-share-link',
    title: 'Gradio app published through a public share link',
    family: 'serving',
    severity: 'high',
    cwe: ['CWE-306', 'CWE-668'],
    threats: ['MLT-040', 'MLT-007', 'MLT-024'],
    techniques: ['AML.T0049', 'AML.T0040', 'AML.T0024.002'],
    docs: {
      finds:
        '`launch(share=True)` on a gradio `Interface`, `Blocks`, `ChatInterface` or `TabbedInterface` (also through ' +
        '`with gr.Blocks() as demo:`, `demo.queue().launch(...)`, a builder function of the same file, or an app ' +
        'object in a file that imports gradio). High without `auth=`, medium with it.',
      why:
        'A share link tunnels the app from your machine to a public `*.gradio.live` address for days. Whoever ' +
        'gets the link (chat logs, screenshots, browser history, a notebook pushed to GitHub) can query the ' +
        'model as much as they like, extract it, read files the app can serve and use any tools it calls, ' +
        'from your machine and with your data. Gradio\'s own file-serving bugs have been exploitable this way.',
      example:
        'import gradio as gr\n\n\ndef classify(image):\n    return {"cat": 0.9, "dog": 0.1}\n\n\n' +
        'demo = gr.Interface(fn=classify, inputs="image", outputs="label")\ndemo.launch(share=True)\n',
      useInstead:
        'import gradio as gr\n\n\ndef classify(image):\n    return {"cat": 0.9, "dog": 0.1}\n\n\n' +
        'demo = gr.Interface(fn=classify, inputs="image", outputs="label")\ndemo.launch()  # local only; deploy behind auth to share\n',
      references: [
        { title: 'Gradio: sharing your app (security and file access)', url: 'https://www.gradio.app/guides/sharing-your-app' },
        { title: 'Gradio: file access and security', url: 'https://www.gradio.app/guides/file-access' },
        { title: 'CWE-306: Missing Authentication for Critical Function', url: 'https://cwe.mitre.org/data/definitions/306.html' },
      ],
    },
  },
  triggers: ['share'],
  anyCall: true,
  check(call, ctx) {
    const m = methodCall(call);
    if (!m || m.method !== 'launch') return;
    const share = call.keyword('share');
    if (!share || truthiness(call.valueOf(share)) !== true) return;
    if (appKind(m.object, call.scope, 'launch', ctx.text) !== 'gradio') return;
    const auth = call.keyword('auth');
    const hasAuth = (auth !== undefined && call.valueOf(auth).kind !== 'none') || call.hasUnknownKwargs;
    const edit = !share.fromSplat && share.keyword ? removeArgument(call, share.keyword) : undefined;
    const fixes: Fix[] = edit ? [{ title: 'Remove share=True (no public link)', safety: 'unsafe', edits: [edit] }] : [];
    ctx.report({
      node: anchor(call, argNode(share)),
      severity: hasAuth ? 'medium' : undefined,
      message: hasAuth
        ? '`share=True` publishes this gradio app on a public gradio.live address; `auth=` protects it, but the model and everything the app can reach are now one password away from the internet. Prefer a deployment you control.'
        : '`share=True` publishes this gradio app on a public gradio.live address with no login: anyone with the link can use the model, pull files the app serves and run its tools from your machine. Drop it, or at least pass `auth=`.',
      fixes,
    });
  },
});
