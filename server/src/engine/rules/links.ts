/** Threat, ATLAS and CWE links shared by rules of one family. */

/**
 * Loading a serialized object that can carry code: a poisoned model or artifact from a hub
 * (PoisonGPT), a shared notebook's download (Colab), or a checkpoint in writable storage (the
 * exposed Microsoft SAS token).
 */
export const DESERIALIZATION_LINKS = {
  cwe: ['CWE-502'],
  threats: ['MLT-020', 'MLT-019', 'MLT-035'],
  techniques: ['AML.T0011.000', 'AML.T0010.003', 'AML.T0018.002'],
};

/** Running code or commands built from data an attacker may shape (LLM output, configs, requests). */
export const CODE_EXECUTION_LINKS = {
  threats: ['MLT-017', 'MLT-087', 'MLT-019'],
  techniques: ['AML.T0050', 'AML.T0051.000'],
};

/** Shell commands: also how exposed ML infrastructure (Ray's job API in ShadowRay) gets taken over. */
export const SHELL_LINKS = {
  threats: ['MLT-017', 'MLT-087', 'MLT-024'],
  techniques: ['AML.T0050', 'AML.T0051.000'],
};

export const REF = {
  cwe502: { title: 'CWE-502: Deserialization of Untrusted Data', url: 'https://cwe.mitre.org/data/definitions/502.html' },
  cwe78: { title: 'CWE-78: OS Command Injection', url: 'https://cwe.mitre.org/data/definitions/78.html' },
  cwe95: { title: 'CWE-95: Eval Injection', url: 'https://cwe.mitre.org/data/definitions/95.html' },
  pickle: { title: 'Python docs: pickle (security warning)', url: 'https://docs.python.org/3/library/pickle.html' },
  unsafeArtifacts: { title: 'MITRE ATLAS AML.T0011.000: Unsafe AI Artifacts', url: 'https://atlas.mitre.org/techniques/AML.T0011.000' },
  interpreter: { title: 'MITRE ATLAS AML.T0050: Command and Scripting Interpreter', url: 'https://atlas.mitre.org/techniques/AML.T0050' },
  safetensors: { title: 'safetensors: a safe format for tensors', url: 'https://huggingface.co/docs/safetensors/index' },
  subprocess: { title: 'Python docs: subprocess security considerations', url: 'https://docs.python.org/3/library/subprocess.html#security-considerations' },
};
