"""Text analysis of the 商业化篇 (Commercialization) chapter of the 2024 China Open Source Annual Report.

The data flows one way: raw text → segments (:mod:`analysis.corpus`) → tokens
(:mod:`analysis.tokenizer`) → counts and matrices → statistics → figures.
"""

__version__ = "0.1.0"
