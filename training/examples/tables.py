"""The two tabular examples' definitions: columns, labels, descriptions and card prose."""

from __future__ import annotations

from dataclasses import dataclass

from training.examples.keras_models import FitSettings
from training.examples.records import CardText


@dataclass(frozen=True)
class TableSpec:
    """What a tabular example reads and learns; the trainer derives bounds and categories from data."""

    name: str
    data: str  # relative to the examples data folder
    label_column: str
    labels: dict[str, str]  # value in the file -> label name, in output order
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    descriptions: dict[str, str]
    dropped: dict[str, str]  # column -> why the model does not use it
    fit: FitSettings
    seed: int
    card: CardText
    held_out_fraction: float = 0.2
    validation_fraction: float = 0.1


CENSUS = TableSpec(
    name="census-income",
    data="census/census.csv",
    label_column="salary",
    labels={"<=50K": "<=50K", ">50K": ">50K"},
    numeric=("age", "education-num", "capital-gain", "capital-loss", "hours-per-week"),
    categorical=(
        "workclass",
        "education",
        "marital-status",
        "occupation",
        "relationship",
        "race",
        "sex",
        "native-country",
    ),
    descriptions={
        "age": "age in years",
        "education-num": "highest education level as a number (1 = preschool ... 16 = doctorate)",
        "capital-gain": "capital gains in the year, US dollars",
        "capital-loss": "capital losses in the year, US dollars",
        "hours-per-week": "usual hours worked per week",
        "workclass": "employer type ('?' = not recorded)",
        "education": "highest education level",
        "marital-status": "marital status",
        "occupation": "occupation group ('?' = not recorded)",
        "relationship": "relationship to the household's reference person",
        "race": "race as recorded by the 1994 census",
        "sex": "sex as recorded by the 1994 census",
        "native-country": "country of birth ('?' = not recorded)",
    },
    dropped={
        "fnlgt": "the census's sampling weight (how many people the row stands for), "
        "not a property of the person"
    },
    fit=FitSettings(epochs=40, batch_size=256, learning_rate=1e-3, patience=5),
    seed=20,
    card=CardText(
        summary="A small neural network that predicts whether a person's yearly income exceeded "
        "$50,000 from 13 attributes recorded by the 1994 US census.",
        intended_use="A worked example of the tabular-classification kind, and a teaching example "
        "of model cards and slice metrics. Not for decisions about people: credit, hiring, "
        "housing, insurance, pay or anything else.",
        data='UCI Adult ("Census Income"; Becker & Kohavi 1996, CC BY 4.0): 32,561 rows '
        "extracted from the 1994 US Current Population Survey by Barry Becker, as shipped in "
        "Udacity's nd0821-c3-starter-code (../shared/data/examples/census). The spaces after "
        "commas are stripped; `?` (not recorded) is kept as a category of its own.",
        caveats=[
            "1994 dollars and a 1994 population: the $50,000 threshold and every relation between "
            "the attributes and income are thirty years out of date.",
            "Categories and numeric bounds come from the training part; a request outside them "
            "is refused, not extrapolated.",
            "Held-out rows with a category never seen in training, or a number outside the "
            "training range, would be refused by the service and are left out of the figures "
            "(counted below).",
            "Small slices (a few dozen rows or fewer) have figures too noisy to compare.",
        ],
        ethics=[
            "The model uses race, sex, native country and marital status, and the slice table "
            "shows it performs differently across them: it reproduces the 1994 data's "
            "disparities and must not be used to judge any person.",
            "The rows are anonymised census records; the service does not store or log the rows "
            "it is sent.",
        ],
    ),
)

BANKNOTE = TableSpec(
    name="banknote-authentication",
    data="banknote/BankNote_Authentication.csv",
    label_column="class",
    labels={"0": "genuine", "1": "forged"},
    numeric=("variance", "skewness", "curtosis", "entropy"),
    categorical=(),
    descriptions={
        "variance": "variance of the wavelet-transformed image of the note",
        "skewness": "skewness of the wavelet-transformed image",
        "curtosis": "kurtosis of the wavelet-transformed image",
        "entropy": "entropy of the image",
    },
    dropped={},
    fit=FitSettings(epochs=200, batch_size=32, learning_rate=3e-3, patience=20),
    seed=20,
    card=CardText(
        summary="A small neural network that tells genuine from forged banknotes by four "
        "statistics of a wavelet transform of the note's image.",
        intended_use="A worked example of the tabular-classification kind with numeric features "
        "only. Not for checking real banknotes: the features come from one camera set-up in one "
        "study.",
        data="UCI Banknote Authentication (Lohweg 2012, CC BY 4.0): features extracted from "
        "images of genuine and forged banknote-like specimens taken with an industrial camera; "
        "1,101 of the 1,372 rows (../shared/data/examples/banknote; the rest are kept back "
        "there for an independent check of the served model).",
        caveats=[
            "The four features must be computed exactly as in the original study (a wavelet "
            "transform of 400x400 px grey images); values from another pipeline mean nothing.",
            "A small data set: the held-out part has about 220 rows, so one error moves accuracy "
            "by about 0.5 percentage points.",
            "Numeric bounds come from the training part; values outside them are refused.",
        ],
        ethics=[
            "No personal data. A forged-note detector has adversaries: "
            "a figure on this data says nothing about forgers who adapt."
        ],
    ),
)
