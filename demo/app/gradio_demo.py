"""Gradio demo of the fine-tuned classifier, as it was shared with the team."""
import gradio as gr
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

MODEL_ID = "acme-research/review-classifier"

tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
model = AutoModelForSequenceClassification.from_pretrained(MODEL_ID, trust_remote_code=True)
# A pinned revision is fine: only a commit hash pins what is downloaded.
baseline = AutoModelForSequenceClassification.from_pretrained(
    "distilbert-base-uncased", revision="714eb0fa89d2f80546fda750413ed43d93601a13"
)


def classify(text):
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    return {str(i): float(p) for i, p in enumerate(torch.softmax(logits, -1)[0])}


def load_custom_head(checkpoint_file):
    # The uploaded file goes straight into torch.load.
    state = torch.load(checkpoint_file)
    model.classifier.load_state_dict(state)
    return "loaded"


with gr.Blocks() as demo:
    text = gr.Textbox(label="Review")
    out = gr.Label()
    gr.Button("Classify").click(classify, inputs=text, outputs=out)
    upload = gr.File(label="Custom head (.pt)")
    status = gr.Textbox()
    gr.Button("Load head").click(load_custom_head, inputs=upload, outputs=status)

demo.launch(share=True)
