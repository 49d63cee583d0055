"""Text processing: cleaning scraped text, sentences, chunks, search terms. Imports neither
`retrieval.sources` nor `retrieval.index`."""
