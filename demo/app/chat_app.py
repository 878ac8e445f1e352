"""Document-QA chat API: FastAPI front end, OpenAI for answers, a LangChain agent for 'tools'."""
import subprocess

import uvicorn
from fastapi import FastAPI, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from langchain_experimental.tools import PythonREPLTool
from openai import OpenAI
from pydantic import BaseModel

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"])
client = OpenAI()
tools = [PythonREPLTool()]

BASE_PROMPT = "You answer questions about the uploaded report. Be concise."


class Question(BaseModel):
    text: str
    top_k: int = 4


@app.post("/ask")
def ask(question: Question, persona: str = "analyst"):
    # The caller picks part of the system prompt: their text gets system authority.
    messages = [
        {"role": "system", "content": f"{BASE_PROMPT} Answer as a {persona}."},
        {"role": "user", "content": question.text},
    ]
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    return {"answer": resp.choices[0].message.content}


@app.post("/chart")
def chart(question: Question):
    resp = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write matplotlib code for: {question.text}"}],
    )
    code = resp.choices[0].message.content
    exec(code)  # the model's code runs with the server's permissions
    return {"ok": True}


@app.post("/convert")
async def convert(report: UploadFile):
    target = f"/tmp/{report.filename}"
    with open(target, "wb") as fh:
        fh.write(await report.read())
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", target], check=True)
    return {"pdf": target.replace(".docx", ".pdf")}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8000)
