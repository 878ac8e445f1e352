/**
 * Package names for the typo-squatting and malicious-name checks.
 *
 * `POPULAR` lists projects that ML code installs every day (PEP 503 normalised). A requirement whose
 * name is one edit away from one of them, and which is not itself a known project, is probably a
 * typo, and typo names are what squatters register. `KNOWN_PROJECTS` holds real, unrelated
 * projects that happen to be one edit away from a popular name (`scapy` next to `scipy`); they are
 * never reported. `MALICIOUS` holds names that were published with harmful code (or squat a name
 * that tools and language models invent), with what happened.
 */

export const POPULAR: readonly string[] = [
  // numerical and data
  'numpy', 'scipy', 'pandas', 'polars', 'pyarrow', 'scikit-learn', 'scikit-image', 'statsmodels', 'sympy', 'numba',
  'cupy', 'dask', 'xarray', 'h5py', 'tables', 'networkx', 'matplotlib', 'seaborn', 'plotly', 'bokeh', 'altair',
  // deep learning
  'torch', 'torchvision', 'torchaudio', 'torchtext', 'torchdata', 'tensorflow', 'tensorflow-gpu', 'tensorflow-cpu',
  'tensorflow-hub', 'tensorflow-datasets', 'tensorboard', 'keras', 'jax', 'jaxlib', 'flax', 'optax', 'pytorch-lightning',
  'lightning', 'torchmetrics', 'timm', 'einops', 'xformers', 'triton', 'deepspeed', 'bitsandbytes', 'onnx',
  'onnxruntime', 'onnxruntime-gpu', 'openvino', 'tensorrt', 'paddlepaddle', 'mxnet',
  // Hugging Face and LLM stack
  'transformers', 'datasets', 'tokenizers', 'accelerate', 'diffusers', 'huggingface-hub', 'safetensors',
  'sentence-transformers', 'peft', 'trl', 'evaluate', 'sentencepiece', 'tiktoken', 'vllm', 'openai', 'anthropic',
  'langchain', 'langchain-core', 'langchain-community', 'langchain-openai', 'langchain-experimental', 'langgraph',
  'llama-index', 'llama-index-core', 'litellm', 'ollama', 'cohere', 'mistralai', 'groq', 'google-generativeai',
  'chromadb', 'faiss-cpu', 'faiss-gpu', 'pinecone-client', 'qdrant-client', 'weaviate-client', 'pymilvus',
  // classic ML and tooling
  'xgboost', 'lightgbm', 'catboost', 'optuna', 'hyperopt', 'mlflow', 'wandb', 'ray', 'clearml', 'dvc', 'bentoml',
  'spacy', 'nltk', 'gensim', 'opencv-python', 'opencv-python-headless', 'pillow', 'imageio', 'albumentations',
  // serving and apps
  'gradio', 'streamlit', 'fastapi', 'uvicorn', 'flask', 'django', 'pydantic', 'starlette', 'jupyter', 'jupyterlab',
  'notebook', 'ipykernel', 'ipywidgets',
  // everyday dependencies
  'requests', 'urllib3', 'httpx', 'aiohttp', 'pyyaml', 'protobuf', 'tqdm', 'joblib', 'cloudpickle', 'dill', 'boto3',
  'botocore', 'google-cloud-storage', 'python-dotenv', 'click', 'rich', 'typer', 'jinja2', 'beautifulsoup4', 'lxml',
  'setuptools', 'colorama', 'python-dateutil', 'cryptography', 'paramiko',
];

/**
 * Real projects one edit away from a popular name. Keep this list generous: a false "typo" alarm on
 * a package someone chose on purpose is worse than a missed one.
 */
export const KNOWN_PROJECTS: readonly string[] = [
  'scapy', 'dash', 'flax', 'flask', 'task', 'mask', 'wand', 'pyaml', 'dataset', 'tokenizer', 'transformer', 'request',
  'boto', 'boto2', 'botocore', 'panda', 'pandas2', 'torch2', 'numpy2', 'numpyro', 'polar', 'altair', 'affair', 'keras2',
  'jinja', 'jinja3', 'tables', 'table', 'rich', 'pillow-heif', 'lightning', 'optax', 'numba', 'sympy', 'scipy2', 'click',
  'clickp', 'typer', 'typed', 'trio', 'trl', 'peft', 'ray', 'raya', 'gym', 'spacy', 'spacey', 'nltk', 'dvc', 'dvcx',
  'lxml', 'lxml2', 'httpx', 'https', 'httpie', 'tqdm', 'tdqm', 'datasette', 'evaluate', 'openapi', 'opensea', 'groq',
  'grok', 'jax', 'jaxtyping', 'mxnet', 'mxnet-cu', 'onnx', 'onyx', 'timm', 'tim', 'cohere', 'coherent', 'ollama',
  'llama', 'chromadb', 'xarray', 'sarray', 'networkx', 'network', 'bokeh', 'joblib', 'jobli', 'dill', 'dills', 'pydantic',
  'pedantic', 'starlette', 'notebook', 'notebooks', 'jupyter', 'jupyterlab', 'ipykernel', 'kernel', 'colorama',
  'colorame', 'uvicorn', 'gradio', 'radio', 'streamlit', 'fastapi', 'fastai', 'fastapi2', 'wandb', 'pandas',
  'plotly', 'plotlyjs', 'imageio', 'tensorflow-io', 'tensorflow-text', 'tensorflow-addons', 'torchdata', 'torchtext',
  'triton', 'tritonclient', 'optuna', 'hyperopt', 'catboost', 'xgboost', 'lightgbm', 'requests', 'requests2', 'paramiko',
  'cryptography', 'protobuf', 'protobuf3', 'tensorboard', 'tensorboardx', 'sklearn', 'opencv', 'datasets', 'accelerate',
];

export interface MaliciousName {
  /** What was found, in one sentence of our own. */
  what: string;
  /** The legitimate project people meant, when there is one. */
  meant?: string;
}

/** Names known to have carried malicious code or to squat a commonly invented name. */
export const MALICIOUS: Readonly<Record<string, MaliciousName>> = {
  torchtriton: {
    what: 'in December 2022 a package of this name on PyPI shadowed the PyTorch nightly dependency and sent SSH keys, environment variables and files to its author (MITRE ATLAS AML.CS0015)',
    meant: 'pytorch-triton (from the PyTorch index only)',
  },
  'huggingface-cli': {
    what: 'the name is one language models invent for the Hugging Face command line; a researcher registered it in 2024 to show that anyone can claim such names (the real CLI ships with huggingface_hub)',
    meant: 'huggingface-hub[cli]',
  },
  gptplus: {
    what: 'reported in November 2024 as a fake ChatGPT client that installed an information stealer (JarkaStealer)',
    meant: 'openai',
  },
  'claudeai-eng': {
    what: 'reported in November 2024 as a fake Claude client that installed an information stealer (JarkaStealer)',
    meant: 'anthropic',
  },
  colourama: {
    what: 'a 2018 typo-squat of colorama whose code replaced cryptocurrency addresses on the clipboard',
    meant: 'colorama',
  },
  'python3-dateutil': {
    what: 'a 2019 squat of python-dateutil that downloaded and ran code to steal SSH and GPG keys',
    meant: 'python-dateutil',
  },
  jeilyfish: {
    what: 'a 2019 squat of jellyfish (written with a capital I) that stole SSH and GPG keys',
    meant: 'jellyfish',
  },
};

/** Optimal string alignment distance, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    let best = Infinity;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return d[a.length][b.length];
}

const POPULAR_SET = new Set(POPULAR);
const KNOWN_SET = new Set(KNOWN_PROJECTS);

/** Popular names a typo of this length could aim at (short names have too many real neighbours). */
const MIN_TARGET_LENGTH = 5;

/**
 * The popular project `name` (normalised) looks like a typo of, or undefined. Separator-only
 * differences are not typos (PEP 503 treats `scikit_learn` as `scikit-learn`), nor are names of
 * real projects.
 */
export function typoOf(name: string): string | undefined {
  if (POPULAR_SET.has(name) || KNOWN_SET.has(name) || name.length < MIN_TARGET_LENGTH) return undefined;
  const squashed = name.replace(/-/g, '');
  for (const p of POPULAR) {
    if (p.length < MIN_TARGET_LENGTH) continue;
    // `scikitlearn`, `huggingfacehub`: the separators dropped.
    if (squashed === p.replace(/-/g, '') && name !== p) return p;
    if (editDistance(name, p, 1) === 1) return p;
  }
  return undefined;
}
