import { removeArgument } from '../edits';
import { defineRule } from '../rule';
import { anchor, argNode, argTruth, withTaint } from './helpers';
import { DESERIALIZATION_LINKS, REF } from './links';

export default defineRule({
  meta: {
    id: 'TL111',
    name: 'langchain-dangerous-deserialization',
    title: 'LangChain allow_dangerous_deserialization=True',
    family: 'deserialization',
    severity: 'high',
    ...DESERIALIZATION_LINKS,
    // LLM-integrated frameworks turning stored or generated data into code (LLMSmith).
    threats: [...DESERIALIZATION_LINKS.threats, 'MLT-087'],
    docs: {
      finds: 'Any call passing `allow_dangerous_deserialization=True` (LangChain vector stores such as `FAISS.load_local`, loaders and chains).',
      why:
        'LangChain refuses to unpickle saved indexes and objects unless this flag is set. With it, a vector ' +
        'store folder copied from elsewhere (a shared drive, a repository, a user upload) runs code when it ' +
        'is loaded.',
      example:
        'from langchain_community.vectorstores import FAISS\n\ndb = FAISS.load_local("index", embeddings, allow_dangerous_deserialization=True)\n',
      useInstead:
        'from langchain_community.vectorstores import FAISS\n\n# Rebuild the index from your own documents instead of loading a pickled one.\ndb = FAISS.from_documents(docs, embeddings)\n',
      references: [{ title: 'LangChain security policy', url: 'https://python.langchain.com/docs/security/' }, REF.cwe502],
    },
  },
  triggers: ['allow_dangerous_deserialization'],
  anyCall: true,
  check(call, ctx) {
    const arg = call.keyword('allow_dangerous_deserialization');
    if (!arg || argTruth(call, arg) !== true) return;
    const edit = arg.keyword && !arg.fromSplat ? removeArgument(call, arg.keyword) : undefined;
    ctx.report(
      withTaint(ctx, call.arg(0, 'folder_path'), {
        node: anchor(call, argNode(arg)),
        message: '`allow_dangerous_deserialization=True` makes LangChain unpickle the saved data: whoever can write that folder runs code here. Load only indexes you built yourself.',
        fixes: edit ? [{ title: 'Remove allow_dangerous_deserialization=True', safety: 'unsafe', edits: [edit] }] : [],
      }),
    );
  },
});
