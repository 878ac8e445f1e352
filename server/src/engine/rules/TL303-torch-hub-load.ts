import { defineRule, member } from '../rule';
import { truthiness } from '../values';
import { anchor, withTaint } from './helpers';
import { HF_DOCS } from './TL301-hf-trust-remote-code';
import { COMMIT } from './TL302-hf-unpinned-revision';

export default defineRule({
  meta: {
    id: 'TL303',
    name: 'torch-hub-remote-code',
    title: 'torch.hub.load runs code from a GitHub repository',
    family: 'model-supply-chain',
    severity: 'high',
    cwe: ['CWE-829', 'CWE-494'],
    // Code pulled from a third-party repository at run time: someone else's program running with
    // your rights (Colab), a compromised dependency chain, a backdoored pretrained model.
    threats: ['MLT-019', 'MLT-016', 'MLT-041'],
    techniques: ['AML.T0010.001', 'AML.T0010.003', 'AML.T0011.001'],
    docs: {
      finds:
        '`torch.hub.load`, `torch.hub.list` and `torch.hub.help` with a GitHub repository (any `source` other than ' +
        '`"local"`). A repository pinned to a full commit (`owner/repo:<40-hex>`) is reported with medium severity; the ' +
        'message also notes `trust_repo=True`, which skips the confirmation prompt. `torch.hub.load_state_dict_from_url` ' +
        'is not this rule (it downloads weights, see TL305).',
      why:
        'torch.hub downloads the repository archive and imports its `hubconf.py`, which may import and run anything ' +
        'else in the repository, with your credentials and data in reach. A branch or tag follows whatever its owner (or ' +
        'an attacker with their token) pushes next, and a typo in the repository name runs a stranger\'s code.',
      example: 'import torch\n\nmodel = torch.hub.load("ultralytics/yolov5", "yolov5s", pretrained=True)\n',
      useInstead:
        'import torch\n\n# A reviewed copy of the repository, vendored into the project.\nmodel = torch.hub.load("third_party/yolov5", "yolov5s", source="local")\n',
      references: [
        { title: 'PyTorch: torch.hub', url: 'https://pytorch.org/docs/stable/hub.html' },
        HF_DOCS.cwe829,
        HF_DOCS.cwe494,
      ],
    },
  },
  triggers: ['hub'],
  calls: ['torch.hub.load', 'torch.hub.list', 'torch.hub.help'],
  check(call, ctx) {
    const fn = member(call.qname);
    const repo = call.arg(0, fn === 'load' ? 'repo_or_dir' : 'github');
    if (!repo) return;
    if (fn === 'load') {
      // `source` comes after `*args`: keyword only.
      const source = call.keyword('source');
      if (source) {
        const v = call.valueOf(source);
        if (v.kind !== 'string' || v.value === 'local') return; // computed source: may be local
      } else if (call.mayHide(undefined, 'source')) return;
    }
    const id = call.valueOf(repo);
    const ref = id.kind === 'string' ? id.value.split(':')[1] : undefined;
    const pinned = ref !== undefined && COMMIT.test(ref);
    const trust = call.keyword('trust_repo');
    const skipsPrompt = trust !== undefined && truthiness(call.valueOf(trust)) === true;
    const name = id.kind === 'string' ? `"${id.value}"` : 'the repository';
    ctx.report(
      withTaint(ctx, repo, {
        node: anchor(call),
        severity: pinned ? 'medium' : 'high',
        message:
          `\`torch.hub.${fn}\` downloads ${name} from GitHub and runs its \`hubconf.py\`` +
          (skipsPrompt ? ' (`trust_repo=True` skips the confirmation prompt)' : '') +
          (pinned
            ? ': the commit is pinned, but it is still third-party code running here. Vendor the reviewed code and load it with `source="local"`.'
            : ': whatever its owner pushes next runs here. Vendor the reviewed code and load it with `source="local"`, or pin `owner/repo:<commit>`.'),
      }),
    );
  },
});
