"""The offline sentence splitter on the news text that trips up Punkt."""

from __future__ import annotations

from digest.analysis.tokenizer import NewsTokenizer, split_sentences, split_words


def test_run_together_quote_is_split_after_the_closing_quote() -> None:
    text = (
        "He spoke in the Black Sea resort of Sochi.”As we said before there was no collusion. "
        "“I’m hoping today that the situation is changing.”"
    )
    assert split_sentences(text) == [
        "He spoke in the Black Sea resort of Sochi.”",
        "As we said before there was no collusion.",
        "“I’m hoping today that the situation is changing.”",
    ]


def test_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Sen. Warren met U.S. officials on Jan. 6 in Washington. Gov. Smith did not attend. "
        "The talks resume on Feb. 12."
    )
    assert split_sentences(text) == [
        "Sen. Warren met U.S. officials on Jan. 6 in Washington.",
        "Gov. Smith did not attend.",
        "The talks resume on Feb. 12.",
    ]


def test_decimal_numbers_and_initials_stay_whole() -> None:
    assert split_sentences("Growth was 3.5 percent. The U.S.A. team won.") == [
        "Growth was 3.5 percent.",
        "The U.S.A. team won.",
    ]


def test_sentence_glued_without_space() -> None:
    assert split_sentences("Prices rose sharply.The central bank did nothing.") == [
        "Prices rose sharply.",
        "The central bank did nothing.",
    ]


def test_words_keep_inner_apostrophes_and_hyphens() -> None:
    assert split_words("Trump’s co-operation isn't over, 2019.") == [
        "Trump’s",
        "co-operation",
        "isn't",
        "over",
        "2019",
    ]


def test_tokenizer_has_the_interface_sumy_expects() -> None:
    tokenizer = NewsTokenizer("english")
    assert tokenizer.language == "english"
    assert tokenizer.to_sentences("One here. Two there.") == ("One here.", "Two there.")
    assert tokenizer.to_words("One here.") == ("One", "here")


def test_ordinary_word_before_a_full_stop_ends_the_sentence() -> None:
    # Punkt alone keeps these together, taking "parade." for an abbreviation.
    assert split_sentences("Thousands watched the parade. Visitors came from abroad.") == [
        "Thousands watched the parade.",
        "Visitors came from abroad.",
    ]
    assert split_sentences("It was Smith vs. Jones in the final.") == [
        "It was Smith vs. Jones in the final."
    ]
