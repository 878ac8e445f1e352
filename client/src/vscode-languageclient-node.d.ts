// tsconfig.json resolves modules the classic Node way (`moduleResolution: node`), which ignores the
// package.json `exports` map that vscode-languageclient uses to expose `vscode-languageclient/node`.
// esbuild honours `exports` and bundles the real module; this declaration only tells the type
// checker where the types are. Delete it if tsconfig moves to `node16`/`bundler` resolution.
declare module 'vscode-languageclient/node*' {
  export * from 'vscode-languageclient/lib/node/main';
}
