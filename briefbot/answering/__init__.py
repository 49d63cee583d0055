"""The offline answer and the brief: what a question asks, the evidence for it, the first sentence,
the composed answer or refusal, follow-ups, dates and freshness, and the pre-visit brief."""
