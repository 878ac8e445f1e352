"""Ask questions about the product documentation.

    python rag_app.py build docs/
    python rag_app.py ask "How do I reset my device?"
"""
import sys
from pathlib import Path

from langchain_community.vectorstores import FAISS
from langchain_core.documents import Document
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from configs.load_config import load_config

INDEX = "indexes/product_docs"
TEAM_INDEX = "shared/team_index"

embeddings = OpenAIEmbeddings(model="text-embedding-3-small")
llm = ChatOpenAI(model="gpt-4o-mini", temperature=0)


def build(doc_dir: str) -> None:
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150)
    docs = [
        Document(page_content=chunk, metadata={"source": str(p)})
        for p in Path(doc_dir).rglob("*.md")
        for chunk in splitter.split_text(p.read_text(encoding="utf-8"))
    ]
    FAISS.from_documents(docs, embeddings).save_local(INDEX)


def load_index() -> FAISS:
    store = FAISS.load_local(INDEX, embeddings, allow_dangerous_deserialization=True)
    if Path(TEAM_INDEX).exists():
        # the team index is synced from a shared drive
        store.merge_from(FAISS.load_local(TEAM_INDEX, embeddings, allow_dangerous_deserialization=True))
    return store


def calculate(expression: str) -> str:
    """Tool the model can call for arithmetic, e.g. warranty end dates."""
    return str(eval(expression))


def ask(question: str) -> str:
    cfg = load_config("rag")
    store = load_index()
    context = "\n\n".join(d.page_content for d in store.similarity_search(question, k=cfg.get("k", 4)))
    prompt = (
        "Answer from the context. If arithmetic is needed, answer only with "
        "CALC: <python expression>.\n\n"
        f"Context:\n{context}\n\nQuestion: {question}"
    )
    reply = llm.invoke(prompt).content
    if reply.startswith("CALC:"):
        return calculate(reply.removeprefix("CALC:").strip())
    return reply


if __name__ == "__main__":
    command, arg = sys.argv[1], sys.argv[2]
    if command == "build":
        build(arg)
    else:
        print(ask(arg))
