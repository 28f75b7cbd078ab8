/* JourneyKit embed script. It configures itself from its own <script> tag
 * (data-customer-token), derives the API base from its own src, and defines
 * <journeykit-reviews>, <journeykit-rating>, <journeykit-testimonials>,
 * <journeykit-referral> and <journeykit-loyalty>. Each renders in a Shadow
 * DOM, styled by the page's --journeykit-* custom properties, loads when
 * scrolled into view, and works when added to the page later. Shoppers' text
 * is always set as text, never as markup. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.customElements.get("journeykit-reviews")) return;
  var base = script.src.replace(/\/embed\.js(\?.*)?$/, "");
  var token = script.getAttribute("data-customer-token");
  var WORDS = {
    en: {reviews: "Customer reviews", none: "No reviews yet.", more: "More reviews", of5: "out of 5",
         review: "review", reviews_n: "reviews", verified: "Verified buyer", write: "Write a review",
         stars: "Your rating", title: "Title", body: "Your review", send: "Send", thanks: "Thank you! Your review is published.",
         pending: "Thank you! Your review will appear once it has been checked.", failed: "Sorry, that did not work: ",
         reply: "The shop replied:", noRatings: "No ratings yet", testimonials: "What our customers say"},
    fr: {reviews: "Avis clients", none: "Pas encore d'avis.", more: "Plus d'avis", of5: "sur 5",
         review: "avis", reviews_n: "avis", verified: "Achat vérifié", write: "Donner votre avis",
         stars: "Votre note", title: "Titre", body: "Votre avis", send: "Envoyer", thanks: "Merci ! Votre avis est publié.",
         pending: "Merci ! Votre avis paraîtra après vérification.", failed: "Désolé, cela n'a pas fonctionné : ",
         reply: "Réponse de la boutique :", noRatings: "Pas encore de note", testimonials: "Ce que disent nos clients"}
  };
  function words() {
    var lang = (document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    return WORDS[lang] || WORDS.en;
  }
  function visitor() {
    var key = "journeykit_visitor", id = null;
    try { id = localStorage.getItem(key); } catch (e) { /* storage blocked */ }
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      try { localStorage.setItem(key, id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }
  var visitorId = visitor();
  function api(path, options) {
    options = options || {};
    var headers = {"X-JourneyKit-Visitor": visitorId};
    if (token) headers["X-JourneyKit-Customer"] = token;
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(base + "/api/v1" + path, {method: options.method || "GET", headers: headers, body: options.body})
      .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function stars(value, label) {
    var s = el("span", {"class": "stars", role: "img", "aria-label": label});
    s.style.setProperty("--fill", (value / 5 * 100) + "%");
    s.textContent = "★★★★★";
    return s;
  }
  var CSS = ":host{display:block;font-family:var(--journeykit-font,inherit);color:var(--journeykit-text-color,inherit)}" +
    ".stars{background:linear-gradient(90deg,var(--journeykit-star-color,#e0a526) var(--fill),var(--journeykit-star-empty-color,#d9d9d9) var(--fill));-webkit-background-clip:text;background-clip:text;color:transparent;letter-spacing:.1em}" +
    "ol{list-style:none;margin:0;padding:0}li{border-top:1px solid var(--journeykit-border-color,#ececec);padding:.8em 0}" +
    ".meta{color:var(--journeykit-muted-color,#6b6b6b);font-size:.92em}.verified{color:var(--journeykit-verified-color,#2f7d4f);font-weight:600}" +
    "button{font:inherit;padding:.4em 1em;cursor:pointer;justify-self:start}form{display:grid;gap:.6em;margin-top:1em;max-width:36em}" +
    "form>label{display:grid;gap:.25em}textarea,input[type=text]{font:inherit;padding:.4em}" +
    "fieldset{border:0;padding:0;margin:0}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";

  function connected() {
    if (this.shadowRoot || this.hasAttribute("data-server-rendered")) return;
    var root = this.attachShadow({mode: "open"}), self = this;
    root.append(el("style", {}, [CSS]));
    var load = function () { self.load(root, words()); };
    if (!("IntersectionObserver" in window)) return load();
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); load(); }
    }, {rootMargin: "200px"});
    seen.observe(this);
  }
  function define(name, load) {
    var cls = class extends HTMLElement {};
    cls.prototype.connectedCallback = connected;
    cls.prototype.load = load;
    customElements.define(name, cls);
  }

  define("journeykit-rating", function (root, t) {
    var product = encodeURIComponent(this.getAttribute("product") || "");
    api("/products/" + product + "/rating").then(function (r) {
      var d = r.data;
      root.append(d.count ? el("span", {}, [stars(d.average, d.average + " " + t.of5), " " + d.average + " · " + d.count + " " + (d.count === 1 ? t.review : t.reviews_n)])
                          : el("span", {"class": "meta"}, [t.noRatings]));
    });
  });

  define("journeykit-reviews", function (root, t) {
    var product = encodeURIComponent(this.getAttribute("product") || "");
    var section = el("section", {"aria-label": t.reviews}, [el("h2", {}, [t.reviews])]);
    var list = el("ol", {}), more = el("button", {type: "button", hidden: ""}, [t.more]), cursor = null;
    root.append(section);
    function page() {
      api("/products/" + product + "/reviews?limit=5" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")).then(function (r) {
        if (!r.ok) return;
        if (!r.data.items.length && !cursor) section.append(el("p", {}, [t.none]));
        r.data.items.forEach(function (rv) {
          var meta = el("p", {"class": "meta"}, [rv.author]);
          if (rv.verified) meta.append(" · ", el("span", {"class": "verified"}, [t.verified]));
          meta.append(" · " + new Date(rv.published_at || rv.created_at).toLocaleDateString(document.documentElement.lang || undefined));
          var item = el("li", {}, [el("p", {}, [stars(rv.rating, rv.rating + " " + t.of5), " ", el("strong", {}, [rv.title || ""])]),
                                   el("p", {}, [rv.body]), meta]);
          if (rv.reply) item.append(el("blockquote", {}, [el("p", {}, [t.reply + " " + rv.reply])]));
          list.append(item);
        });
        cursor = r.data.next;
        more.hidden = !cursor;
      });
    }
    more.addEventListener("click", page);
    section.append(list, more);
    page();
    if (token) section.append(form(product, t));
  });

  function form(product, t) {
    var f = el("form", {"aria-label": t.write}), status = el("p", {role: "status", "aria-live": "polite"});
    var group = el("fieldset", {}, [el("legend", {}, [t.stars])]);
    for (var n = 1; n <= 5; n++) {
      group.append(el("label", {}, [el("input", {type: "radio", name: "rating", value: String(n), required: ""}), " " + n + "★ "]));
    }
    var title = el("input", {type: "text", name: "title", maxlength: "150"});
    var body = el("textarea", {name: "body", rows: "4", maxlength: "5000", required: ""});
    f.append(el("h3", {}, [t.write]), group, el("label", {}, [t.title, " ", title]), el("label", {}, [t.body, " ", body]),
             el("button", {type: "submit"}, [t.send]), status);
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      var rating = f.querySelector("input[name=rating]:checked");
      var payload = JSON.stringify({rating: rating ? Number(rating.value) : null, title: title.value, body: body.value});
      api("/products/" + product + "/reviews", {method: "POST", body: payload}).then(function (r) {
        status.textContent = r.ok ? (r.data.status === "published" ? t.thanks : t.pending) : t.failed + r.data.error.message;
      });
    });
    return f;
  }

  define("journeykit-testimonials", function (root, t) {
    var tag = this.getAttribute("tag");
    var grid = el("section", {"aria-label": t.testimonials}, [el("h2", {}, [t.testimonials])]);
    root.append(grid);
    api("/testimonials?limit=6" + (tag ? "&tag=" + encodeURIComponent(tag) : "")).then(function (r) {
      (r.data.items || []).forEach(function (tm) {
        var who = [tm.name, tm.role, tm.company].filter(Boolean).join(", ");
        grid.append(el("figure", {}, [el("blockquote", {}, [tm.body]), el("figcaption", {}, [who])]));
      });
    });
  });

  ["referral", "loyalty"].forEach(function (kind) {
    define("journeykit-" + kind, function (root) {
      fetch(base + "/widgets/" + kind).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        var tpl = document.createElement("template");
        tpl.innerHTML = html;  /* JourneyKit's own server-rendered fragment, escaped on the server */
        var inner = tpl.content.querySelector("journeykit-" + kind);
        if (inner) root.append.apply(root, Array.from(inner.childNodes));
      });
    });
  });
})();
