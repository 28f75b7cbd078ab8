"""The words of the reviews, rating and review-prompt widgets in the languages the widgets speak (English, French).

The server draws these widgets for the shop's pages and for embed.js alike
(``?lang=`` from the page's ``lang``), so their words, numbers, plurals and
dates live here, not in the script the shop's pages download.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: The widgets' languages, by ISO 639-1 code; anything else is shown in English.
LANGUAGES = ("en", "fr")

_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "reviews": "Customer reviews", "reviews_of": "Customer reviews of {name}", "none": "No reviews yet.",
        "summary": "{avg} out of 5 · {count}", "rated": "Rated {avg} out of 5",
        "count": ("{n} review", "{n} reviews"), "stars": ("{n} star", "{n} stars"), "no_ratings": "No ratings yet",
        "verified": "Verified buyer", "incentivised": "Received a reward for this review", "imported": "Imported",
        "edited": "Edited", "waiting": "Waiting for approval", "yours": "Your review",
        "rejected": "Not shown in the shop: the shop did not accept it. You can edit it and send it again.",
        "reply": "The shop replied:", "photo": "Photo from {author}'s review",
        "helpful": "Helpful ({n})", "voted": "Thank you for your vote.", "more": "More reviews",
        "loading": "Loading more reviews…", "loaded": ("{n} more review shown.", "{n} more reviews shown."),
        "write": "Write a review", "edit": "Edit your review", "form": "Review of {name}", "prompt": "How was {name}?",
        "your_rating": "Your rating", "title": "Title (optional)", "body": "Your review", "send": "Send review",
        "sending": "Sending your review…", "honeypot": "Leave this field empty",
        "fix": "Please correct the marked fields.", "need_rating": "Choose a rating from 1 to 5 stars.",
        "need_body": "Write a few words about the product.",
        "published": "Thank you! Your review is published.",
        "pending": "Thanks — your review is waiting for approval.",
        "edit_published": "Thank you! Your edited review is published.",
        "edit_pending": "Thanks — your edited review is waiting for approval.",
        "failed": "Sorry, that did not work: {m}", "network": "check your connection and try again.",
        "sign_in": "Please reload the page (and sign in again if asked) to send your review.",
        "asking": "Tell us about your order", "asking_text": "Your review helps other shoppers.",
        "back": "Back to the shop",
        "months": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"),
    },
    "fr": {
        "reviews": "Avis clients", "reviews_of": "Avis clients sur {name}", "none": "Pas encore d'avis.",
        "summary": "{avg} sur 5 · {count}", "rated": "Noté {avg} sur 5",
        "count": ("{n} avis", "{n} avis"), "stars": ("{n} étoile", "{n} étoiles"), "no_ratings": "Pas encore de note",
        "verified": "Achat vérifié", "incentivised": "Avis récompensé", "imported": "Importé",
        "edited": "Modifié", "waiting": "En attente d'approbation", "yours": "Votre avis",
        "rejected": "Non affiché dans la boutique : elle ne l'a pas accepté. Vous pouvez le modifier et le renvoyer.",
        "reply": "Réponse de la boutique :", "photo": "Photo de l'avis de {author}",
        "helpful": "Utile ({n})", "voted": "Merci pour votre vote.", "more": "Plus d'avis",
        "loading": "Chargement d'autres avis…", "loaded": ("{n} avis de plus affiché.", "{n} avis de plus affichés."),
        "write": "Donner votre avis", "edit": "Modifier votre avis", "form": "Avis sur {name}", "prompt": "Qu'avez-vous pensé de {name} ?",
        "your_rating": "Votre note", "title": "Titre (facultatif)", "body": "Votre avis", "send": "Envoyer l'avis",
        "sending": "Envoi de votre avis…", "honeypot": "Laissez ce champ vide",
        "fix": "Veuillez corriger les champs signalés.", "need_rating": "Choisissez une note de 1 à 5 étoiles.",
        "need_body": "Écrivez quelques mots sur le produit.",
        "published": "Merci ! Votre avis est publié.",
        "pending": "Merci — votre avis attend d'être approuvé.",
        "edit_published": "Merci ! Votre avis modifié est publié.",
        "edit_pending": "Merci — votre avis modifié attend d'être approuvé.",
        "failed": "Désolé, cela n'a pas fonctionné : {m}", "network": "vérifiez votre connexion et réessayez.",
        "sign_in": "Rechargez la page (et reconnectez-vous si on vous le demande) pour envoyer votre avis.",
        "asking": "Parlez-nous de votre commande", "asking_text": "Votre avis aide les autres clients.",
        "back": "Retour à la boutique",
        "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                   "octobre", "novembre", "décembre"),
    },
}


class Words:
    """One language's words for a template: ``t.write``, ``t.counted("count", 3)``, ``t.number(4.5)``, ``t.day(when)``."""

    def __init__(self, lang: str | None) -> None:
        code = (lang or "en")[:2].lower()
        #: The language shown: the one asked for if the widgets speak it, else English.
        self.code = code if code in LANGUAGES else "en"
        self._words = _WORDS[self.code]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._words[key]
        except KeyError:
            raise AttributeError(key) from None

    def counted(self, key: str, n: int) -> str:
        """``n`` with the plural form of ``key`` (French counts 0 and 1 as singular, as Intl.PluralRules does)."""
        one = n in (0, 1) if self.code == "fr" else n == 1
        return self._words[key][0 if one else 1].format(n=self.number(n))

    def number(self, value: float) -> str:
        """``4.5`` as the language writes it ("4.5", "4,5"), with no trailing ``.0``."""
        text = f"{value:g}"
        return text.replace(".", ",") if self.code == "fr" else text

    def day(self, when: dt.datetime) -> str:
        """"4 December 2026", "4 décembre 2026"."""
        return f"{when.day} {self._words['months'][when.month - 1]} {when.year}"

    def for_script(self) -> dict[str, str]:
        """The words embed.js says itself (votes, paging, sending), in this language."""
        return {key: self._words[key] for key in ("helpful", "voted", "loading", "sending", "failed", "network")}
