"""The index and its search: the Chroma store, the BM25 index, the embedder, hybrid search, source
sets and the writer lock."""
