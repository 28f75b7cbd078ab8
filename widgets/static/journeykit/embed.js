/* JourneyKit embed script. It configures itself from its own <script> tag (data-customer-token,
 * data-visitor-id, data-track="off"), derives the API base from its own src, and defines
 * <journeykit-reviews>, -rating, -testimonials, -referral and -loyalty.
 *
 * An element the server rendered (data-server-rendered: {{ journeykit.reviews(...) }} and friends)
 * keeps its light DOM, JSON-LD included, and is enhanced in place: paging, helpful votes, sending the
 * review form, carousels, redeeming points, copying codes and links. Any other element renders in a
 * Shadow DOM when scrolled near (reviews and rating: the server's fragment in the page's language;
 * the others from the JSON API), styled by widgets.css and the page's --journeykit-* properties. Both
 * log widget_viewed once in view and widget_interaction for what a shopper does, in batches
 * (sendBeacon when the page is hidden). Shoppers' text is set as text, or comes as HTML the server escaped. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.customElements || customElements.get("journeykit-reviews")) return;
  var base = script.src.replace(/\/embed\.js(\?.*)?$/, ""), API = base + "/api/v1";
  var token = script.getAttribute("data-customer-token");
  var tracking = script.getAttribute("data-track") !== "off";
  var uid = 0;
  var WORDS = {
    en: {failed: "Sorry, that did not work: {m}", network: "check your connection and try again.",
         testimonials: "What our customers say", noTestimonials: "No testimonials yet.", prev: "Previous testimonial",
         next: "Next testimonial", slide: "{i} of {n}", stop: "Stop rotating", start: "Start rotating",
         pts: {one: "{n} point", other: "{n} points"}, yourPoints: "Your points", toSpend: "ready to spend", pendingPts: "{n} pending",
         tier: "Tier: ", member: "Member", progressTo: "Progress to {name}", moreTo: "{n} more to reach {name}",
         top: "You are in our top tier.", rewards: "Rewards", redeem: "Redeem", redeemFor: "Redeem {pts} for {label}", need: "You need {n} more",
         codes: "Your discount codes", noCodes: "None yet.", issued: "Ready to use", used: "Used", returned: "Not used: points given back",
         until: ", until {d}", ways: "Ways to earn", history: "Points history", noPoints: "No points yet.", program: "Rewards for our customers",
         pitch: "Earn points with every order and turn them into discounts.", join: "Join and start earning",
         joinText: "Create an account to start earning.", tiers: "Tiers", from: "from {pts} earned", bonus: ", {n}% more points on orders",
         redeeming: "Making your code…", made: "Your code for {label} is ready.", copy: "Copy code",
         copied: "Code copied.", selected: "Code selected: press Ctrl+C (⌘C on a Mac) to copy it.",
         howTo: "Enter this code at checkout; it works once, until {d}.", howToAny: "Enter this code at checkout; it works once.",
         poor: "You do not have enough points for this reward yet.",
         later: "We could not make your code just now, and no points were spent. Please try again later.",
         signIn: "Please sign in again to redeem your points.", spent: "Turned into a code for {label}",
         refer: "Refer a friend", link: "Your link", copyLink: "Copy link", linkCopied: "Link copied.",
         linkSelected: "Link selected: press Ctrl+C (⌘C on a Mac) to copy it.", share: "Share your link", on: "Share on {n}",
         mail: "E-mail", byMail: "Share by e-mail", subject: "A shop I think you will like", clicks: "Clicks", bought: "Friends who bought",
         earned: "Rewards earned", waiting: "Rewards pending", joinLink: "Join to get your link", joinLinkText: "Create an account to get your link."},
    fr: {failed: "Désolé, cela n'a pas fonctionné : {m}", network: "vérifiez votre connexion et réessayez.",
         testimonials: "Ce que disent nos clients", noTestimonials: "Pas encore de témoignages.", prev: "Témoignage précédent",
         next: "Témoignage suivant", slide: "{i} sur {n}", stop: "Arrêter le défilement", start: "Lancer le défilement",
         pts: {one: "{n} point", other: "{n} points"}, yourPoints: "Vos points", toSpend: "utilisables", pendingPts: "{n} en attente",
         tier: "Niveau : ", member: "Membre", progressTo: "Progression vers {name}", moreTo: "Encore {n} pour atteindre {name}",
         top: "Vous êtes à notre plus haut niveau.", rewards: "Récompenses", redeem: "Échanger", redeemFor: "Échanger {pts} contre {label}",
         need: "Il vous manque {n}", codes: "Vos codes de réduction", noCodes: "Aucun pour l'instant.", issued: "Prêt à servir", used: "Utilisé",
         returned: "Non utilisé : points rendus", until: ", jusqu'au {d}", ways: "Comment gagner des points", history: "Historique des points",
         noPoints: "Pas encore de points.", program: "Des récompenses pour nos clients",
         pitch: "Gagnez des points à chaque commande et échangez-les contre des réductions.", join: "Inscrivez-vous et gagnez des points",
         joinText: "Créez un compte pour commencer à gagner des points.", tiers: "Niveaux", from: "dès {pts} gagnés",
         bonus: ", {n} % de points en plus sur les commandes", redeeming: "Création de votre code…",
         made: "Votre code pour {label} est prêt.", copy: "Copier le code", copied: "Code copié.",
         selected: "Code sélectionné : appuyez sur Ctrl+C (⌘C sur Mac) pour le copier.",
         howTo: "Saisissez ce code au paiement ; il sert une fois, jusqu'au {d}.", howToAny: "Saisissez ce code au paiement ; il sert une fois.",
         poor: "Vous n'avez pas encore assez de points pour cette récompense.",
         later: "Impossible de créer votre code pour l'instant ; aucun point n'a été dépensé. Réessayez plus tard.",
         signIn: "Reconnectez-vous pour échanger vos points.", spent: "Converti en code pour {label}",
         refer: "Parrainez un ami", link: "Votre lien", copyLink: "Copier le lien", linkCopied: "Lien copié.",
         linkSelected: "Lien sélectionné : appuyez sur Ctrl+C (⌘C sur Mac) pour le copier.", share: "Partagez votre lien",
         on: "Partager sur {n}", mail: "E-mail", byMail: "Partager par e-mail", subject: "Une boutique qui devrait vous plaire",
         clicks: "Clics", bought: "Amis qui ont acheté", earned: "Récompenses reçues", waiting: "Récompenses en attente",
         joinLink: "Inscrivez-vous pour avoir votre lien", joinLinkText: "Créez un compte pour avoir votre lien."}
  };
  function words() {
    var code = (document.documentElement.lang || "en").slice(0, 2).toLowerCase();
    var t = WORDS[code] || WORDS.en;
    t.code = WORDS[code] ? code : "en";
    return t;
  }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k]; }); }
  function num(t, n) { return Number(n).toLocaleString(t.code); }
  function plural(t, forms, n) { return fill(forms[new Intl.PluralRules(t.code).select(n)] || forms.other, {n: num(t, n)}); }

  function visitor() {
    /* The shop's own visitor id (data-visitor-id) wins, so its server-side events and ours are one person. */
    var key = "journeykit_visitor", id = script.getAttribute("data-visitor-id"), shape = /^[A-Za-z0-9_-]{16,64}$/;
    if (id && shape.test(id)) {
      try { localStorage.setItem(key, id); } catch (e) { /* this page only */ }
      return id;
    }
    try { id = localStorage.getItem(key); } catch (e) { /* storage blocked */ }
    if (!id || !shape.test(id)) {
      id = randomId();
      try { localStorage.setItem(key, id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }
  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var visitorId = visitor();
  function call(url, options, html) {  /* JSON, or (html) the server's fragment, less what only a page without us needs */
    options = options || {};
    var headers = {"X-JourneyKit-Visitor": visitorId};
    if (token) headers["X-JourneyKit-Customer"] = token;
    if (typeof options.body == "string") headers["Content-Type"] = "application/json";
    return fetch(url, {method: options.method || "GET", headers: headers, body: options.body}).then(function (r) {
      return r[html ? "text" : "json"]().then(function (data) {
        if (html) {
          var tpl = el("template");
          tpl.innerHTML = data;
          data = tpl.content;
          data.querySelectorAll("link,script,noscript").forEach(function (n) { n.remove(); });
        }
        return {ok: r.ok, status: r.status, data: data};
      });
    });
  }
  function api(path, options) { return call(API + path, options); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (attrs[k] != null) node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function once(node, margin, fn) {
    if (!("IntersectionObserver" in window)) return fn();
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); fn(); }
    }, {rootMargin: margin});
    seen.observe(node);
  }

  /* Tracking: queued, sent after a short delay, at 20 events, or by beacon when the page goes away. */
  var queue = [], timer = null;
  function track(name, c, properties) {
    if (!tracking) return;
    var event = {name: name, properties: Object.assign({widget: c.kind}, properties)};
    if (c.product) event.product_id = c.product;
    queue.push(event);
    if (queue.length >= 20) flush(false);
    else if (!timer) timer = setTimeout(flush, 3000, false);
  }
  function flush(beacon) {
    clearTimeout(timer);
    timer = null;
    while (queue.length) {
      var body = JSON.stringify({visitor_id: visitorId, customer_token: token || undefined, events: queue.splice(0, 50)});
      if (beacon && navigator.sendBeacon && navigator.sendBeacon(API + "/events", body)) continue;
      fetch(API + "/events", {method: "POST", body: body, keepalive: true,
                              headers: {"Content-Type": "text/plain;charset=UTF-8"}}).catch(function () {});
    }
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(true); });
  window.addEventListener("pagehide", function () { flush(true); });

  /* The hold-out (GET /api/v1/embed/settings): the same FNV-1a split as journeykit.holdout. */
  var settings = null;
  function fnv(text) {
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
  }
  function heldOut(kind) {
    settings = settings || fetch(API + "/embed/settings").then(function (r) { return r.json(); }).catch(function () { return {}; });
    return settings.then(function (s) {
      var h = s.holdout || {};
      return (h.widgets || []).indexOf(kind) >= 0 && fnv(kind + ":" + visitorId) % 10000 < h.buckets;
    });
  }

  function connected() {
    if (this.journeykit) return;
    var host = this, kind = this.localName.slice(11);
    var c = this.journeykit = {host: host, kind: kind, product: this.getAttribute("product"), t: words()};
    if (this.hasAttribute("data-server-rendered")) {
      /* An async script can run while the parser is still inside the fragment: enhance it once whole. */
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { enhance(c); });
      else enhance(c);
      return once(host, "0px", function () { track("widget_viewed", c); });
    }
    once(host, "200px", function () {
      heldOut(kind).then(function (held) {
        if (!held) RENDER[kind](c, shell(c));
        once(host, "0px", function () { track(held ? "widget_held_out" : "widget_viewed", c); });
      });
    });
  }
  function enhance(c) { if (ENHANCE[c.kind]) ENHANCE[c.kind](c, c.host); }
  function shell(c) {
    var root = c.host.attachShadow({mode: "open"});
    var box = el("div", {"class": "journeykit journeykit-" + c.kind, hidden: ""});
    var link = el("link", {rel: "stylesheet", href: base + "/static/journeykit/widgets.css"});
    link.onload = link.onerror = function () { box.hidden = false; };
    root.append(link, box);
    return box;
  }

  /* Reviews and rating: the server draws them, form included, in the page's language; the tools page on
   * (data-src&cursor=), count helpful votes and send the form, putting the widget the server answers in place. */
  function drawn(c, box) {
    call(base + "/widgets/" + c.kind + "?lang=" + c.t.code + "&product=" + encodeURIComponent(c.product || ""), {}, true).then(function (r) {
      var frame = r.ok && r.data.firstElementChild;
      if (!frame) return;
      box.append.apply(box, Array.from(frame.childNodes));
      if (c.kind == "reviews") reviewTools(c, box.querySelector("section"));
    });
  }
  function reviewTools(c, section, reload) {
    var w = JSON.parse(section.getAttribute("data-words")), src = section.getAttribute("data-src"), busy = false;
    var find = function (name) { return section.querySelector("[data-jk=" + name + "]"); };
    var list = find("list"), more = find("more"), live = find("status"), write = find("write"), form = find("form");
    var say = function (text) { live.textContent = text; }, oops = function (m) { say(fill(w.failed, {m: m})); };
    function voting(root) {
      root.querySelectorAll(".journeykit-helpful").forEach(function (button) {
        function undo(m) { button.setAttribute("aria-pressed", "false"); oops(m); }
        button.hidden = false;
        button.addEventListener("click", function () {
          if (button.getAttribute("aria-pressed") == "true") return;
          button.setAttribute("aria-pressed", "true");
          track("widget_interaction", c, {action: "helpful_vote"});
          api("/reviews/" + button.value + "/helpful", {method: "POST", body: "{}"}).then(function (r) {
            if (!r.ok) return undo(r.data.error.message);
            button.textContent = fill(w.helpful, {n: num(c.t, r.data.helpful)});
            say(w.voted);
          }, function () { undo(w.network); });
        });
      });
    }
    function swap(r, keep) {  /* the widget the server answered, in place of this one (keep: the same live region) */
      var fresh = r.data.querySelector("section[data-words]"), news = fresh && fresh.querySelector("[data-jk=status]");
      if (!fresh) return oops(w.network);
      if (keep) { news.replaceWith(live); say(news.textContent); }
      section.replaceWith(fresh);
      reviewTools(c, fresh);
      return fresh;
    }
    voting(section);
    more.hidden = !list.getAttribute("data-next");
    more.addEventListener("click", function () {
      say(w.loading);
      track("widget_interaction", c, {action: "more_reviews"});
      call(src + "&cursor=" + encodeURIComponent(list.getAttribute("data-next")), {}, true).then(function (r) {
        var page = r.ok && r.data.firstElementChild, items = page ? Array.from(page.children) : [];
        if (!page) return oops(w.network);
        voting(page);
        list.append.apply(list, items);
        list.setAttribute("data-next", page.getAttribute("data-next"));
        more.hidden = !page.getAttribute("data-next");
        say(page.getAttribute("data-said"));
        if (items.length) { items[0].tabIndex = -1; items[0].focus(); }
      }, function () { oops(w.network); });
    });
    if (reload) call(src, {}, true).then(function (r) { if (r.ok) swap(r); });  /* a token the server's page did not know */
    if (!form) return;
    write.addEventListener("click", function () {
      var opening = form.hidden;
      form.hidden = !opening;
      write.setAttribute("aria-expanded", opening);
      if (opening) { form.querySelector("[name=rating]").focus(); track("widget_interaction", c, {action: "form_opened"}); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      say(w.sending);
      call(src, {method: "POST", body: new URLSearchParams(new FormData(form))}, true).then(function (r) {
        busy = false;
        var fresh = swap(r, true);
        if (!fresh) return;
        if (r.ok) track("widget_interaction", c, {action: "review_submitted"});
        (fresh.querySelector("[aria-invalid=true]") || fresh.querySelector("[data-jk=write]") || live).focus();
      }, function () { busy = false; oops(w.network); });
    });
  }

  /* Testimonials: a grid, or a carousel that moves only when asked (or on autoplay, never under reduced motion). */
  function quote(tm) {
    var caption = el("figcaption", {}, [el("span", {"class": "journeykit-testimonial-name"}, [tm.name])]);
    var who = [tm.role, tm.company].filter(Boolean).join(", ");
    if (who) caption.append(el("span", {"class": "journeykit-testimonial-meta"}, [who]));
    return el("figure", {"class": "journeykit-testimonial" + (tm.featured ? " journeykit-testimonial-featured" : "")},
              [el("blockquote", {}, [el("p", {}, [tm.body])]), caption]);
  }
  function carousel(c, section, slides) {
    var t = c.t, items = Array.prototype.slice.call(slides.children), at = 0, timer = null, stopped = false, resting = false;
    var seconds = Math.max(3, Number(c.host.getAttribute("autoplay")) || 6);
    var rotate = c.host.hasAttribute("autoplay") && !matchMedia("(prefers-reduced-motion: reduce)").matches;
    slides.id = slides.id || "journeykit-" + (++uid) + "-slides";
    section.setAttribute("aria-roledescription", "carousel");
    items.forEach(function (item, i) {
      item.setAttribute("role", "group");
      item.setAttribute("aria-roledescription", "slide");
      item.setAttribute("aria-label", fill(t.slide, {i: i + 1, n: items.length}));
    });
    if (items.length < 2) return;
    function show(i) {
      at = (i + items.length) % items.length;
      items.forEach(function (item, j) { item.hidden = j !== at; });
    }
    function button(label, glyph, step) {
      var b = el("button", {type: "button", "aria-controls": slides.id, "aria-label": label}, [glyph]);
      b.addEventListener("click", function () {
        show(at + step);
        track("widget_interaction", c, {action: step > 0 ? "carousel_next" : "carousel_previous"});
      });
      return b;
    }
    var controls = el("div", {"class": "journeykit-carousel-controls"}, [button(t.prev, "‹", -1), button(t.next, "›", 1)]);
    function tick() {
      clearInterval(timer);
      var moving = rotate && !stopped && !resting;
      timer = moving ? setInterval(function () { show(at + 1); }, seconds * 1000) : null;
      slides.setAttribute("aria-live", moving ? "off" : "polite");
    }
    if (rotate) {
      var toggle = el("button", {type: "button", "class": "journeykit-rotation"}, [t.stop]);
      toggle.addEventListener("click", function () {
        stopped = !stopped;
        toggle.textContent = stopped ? t.start : t.stop;
        tick();
      });
      controls.prepend(toggle);
      ["mouseenter", "focusin"].forEach(function (e) { section.addEventListener(e, function () { resting = true; tick(); }); });
      section.addEventListener("mouseleave", function () { resting = section.matches(":focus-within"); tick(); });
      section.addEventListener("focusout", function (e) { resting = section.contains(e.relatedTarget) || section.matches(":hover"); tick(); });
    }
    slides.before(controls);
    show(0);
    tick();
  }

  /* Loyalty: the layout the server draws (loyalty.html), drawn here for other sites; the tools wire up either. */
  function points(t, n) { return plural(t, t.pts, n); }
  function day(t, iso) {  /* "4 December 2026" in English too, as the server writes it */
    return new Date(iso).toLocaleDateString(t.code === "en" ? "en-GB" : t.code, {day: "numeric", month: "long", year: "numeric", timeZone: "UTC"});
  }
  function muted(text) { return el("span", {"class": "journeykit-muted"}, [text]); }
  function part(label, kids) { return el("section", {"class": "journeykit-loyalty-part", "aria-label": label}, [el("h3", {}, [label])].concat(kids)); }
  function list(cls, items, map) { return el("ul", {"class": cls}, items.map(function (x, i) { return el("li", {}, map(x, i)); })); }
  function prize(t, r) { return el("span", {"class": "journeykit-reward"}, [el("strong", {}, [r.label]), " ", muted(points(t, r.points))]); }
  function codeItem(t, k) {
    return [el("code", {}, [k.code]), " ", el("span", {}, [k.label]), " ",
            muted((t[k.status] || k.status) + (k.status === "issued" && k.expires_at ? fill(t.until, {d: day(t, k.expires_at)}) : ""))];
  }
  function entry(t, h) {
    return [el("span", {"class": "journeykit-delta"}, [(h.points < 0 ? "−" : "+") + num(t, Math.abs(h.points))]), " ", el("span", {}, [h.description]), " ",
            el("time", {"class": "journeykit-muted", datetime: h.created_at.slice(0, 10)}, [day(t, h.created_at)])];
  }
  function joining(p, label, text) {  /* the shop's sign-up link (http or https only), else the words */
    var link = null;
    try { link = p.signup_url && new URL(p.signup_url, base + "/"); } catch (e) { /* no link */ }
    return link && /^https?:$/.test(link.protocol) ? el("a", {href: link.href}, [label]) : text;
  }
  function loyaltyView(c, p, me) {
    var t = c.t, n = ++uid, kids = [el("h2", {}, [me ? t.yourPoints : t.program])];
    var ways = p.ways_to_earn.length ? [part(t.ways, [list("journeykit-ways", p.ways_to_earn, function (w) { return [w.description]; })])] : [];
    if (!me) {
      kids.push(el("p", {"class": "journeykit-join"}, [t.pitch + " ", joining(p, t.join, t.joinText)]));
      kids = kids.concat(ways);
      if (p.rewards.length) kids.push(part(t.rewards, [list("journeykit-rewards", p.rewards, function (r) { return [prize(t, r)]; })]));
      if (p.tiers.length) {
        kids.push(part(t.tiers, [list("journeykit-tiers", p.tiers, function (x) {
          return [el("strong", {}, [x.name]), " ", muted(fill(t.from, {pts: points(t, x.points)}) + (x.bonus_percent ? fill(t.bonus, {n: x.bonus_percent}) : ""))];
        })]));
      }
      return el("section", {"class": "journeykit-loyalty-card", "aria-label": t.program}, kids);
    }
    var tier = el("div", {"class": "journeykit-tier"}, [el("p", {}, [t.tier, el("strong", {}, [me.tier === "member" ? t.member : me.tier])])]);
    var next = me.next_tier;
    if (next) {
      /* A points tier in the page's language; a money tier as the server words it. */
      var more = next.points_needed == null ? next.description : fill(t.moreTo, {n: points(t, next.points_needed), name: next.name});
      var bar = el("span");
      bar.style.width = next.percent + "%";
      tier.append(el("div", {"class": "journeykit-meter", role: "progressbar", "aria-label": fill(t.progressTo, {name: next.name}), "aria-valuemin": 0,
                             "aria-valuemax": 100, "aria-valuenow": next.percent, "aria-valuetext": more}, [bar]),
                  el("p", {"class": "journeykit-muted"}, [more]));
    } else if (p.tiers.length) tier.append(el("p", {"class": "journeykit-muted"}, [t.top]));
    var spend = [el("span", {"data-jk": "spendable"}, [num(t, me.spendable)]), " " + t.toSpend + (me.pending ? " · " + fill(t.pendingPts, {n: num(t, me.pending)}) : "")];
    kids.push(el("div", {"class": "journeykit-loyalty-top"}, [
      el("p", {"class": "journeykit-balance"}, [el("strong", {"data-jk": "balance"}, [points(t, me.balance)]), " ", el("span", {"class": "journeykit-muted"}, spend)]), tier]));
    if (me.rewards.length) {
      var offers = el("ul", {"class": "journeykit-rewards"}, me.rewards.map(function (r, i) {
        return el("li", {"data-reward": r.id, "data-points": r.points}, [prize(t, r), " ",
          el("button", {type: "button", "class": "journeykit-redeem", "aria-label": fill(t.redeemFor, {pts: points(t, r.points), label: r.label})}, [t.redeem]), " ",
          el("span", {"class": "journeykit-why journeykit-muted", id: "journeykit-" + n + "-why-" + i})]);
      }));
      afford(t, offers, me.spendable);
      kids.push(part(t.rewards, [offers, el("p", {"class": "journeykit-status", role: "status", "aria-live": "polite", "data-jk": "status"}),
                                 el("div", {"class": "journeykit-new-code", "data-jk": "new-code", hidden: ""})]));
    }
    var codes = list("journeykit-codes", me.codes.length ? me.codes : [null], function (k) { return k ? codeItem(t, k) : [t.noCodes]; });
    codes.setAttribute("data-jk", "codes");
    if (!me.codes.length) codes.firstChild.setAttribute("data-jk", "no-codes");
    kids.push(part(t.codes, [codes]));
    kids = kids.concat(ways);
    var history = list("journeykit-history", me.history.length ? me.history : [null], function (h) { return h ? entry(t, h) : [t.noPoints]; });
    history.setAttribute("data-jk", "history");
    kids.push(part(t.history, [history]));
    return el("section", {"class": "journeykit-loyalty-card", "aria-label": t.yourPoints, "data-signed-in": ""}, kids);
  }
  function afford(t, card, spendable) {
    Array.prototype.forEach.call(card.querySelectorAll("[data-reward]"), function (item) {
      var need = Number(item.getAttribute("data-points")) - spendable, button = item.querySelector("button"), why = item.querySelector(".journeykit-why");
      why.hidden = need <= 0;
      button.disabled = need > 0;
      if (need > 0) { why.textContent = fill(t.need, {n: points(t, need)}); button.setAttribute("aria-describedby", why.id); }
      else button.removeAttribute("aria-describedby");
    });
  }
  function copier(c, button, node, say, action, done, picked) {
    /* The clipboard where the browser lets us, else the text selected for the shopper to copy. */
    button.addEventListener("click", function () {
      function select() {
        node.focus();
        if (node.select) node.select();
        else {
          var range = document.createRange(), chosen = getSelection();
          range.selectNodeContents(node);
          chosen.removeAllRanges();
          chosen.addRange(range);
        }
        say(picked);
      }
      track("widget_interaction", c, {action: action});
      if (!navigator.clipboard) return select();
      navigator.clipboard.writeText(node.value || node.textContent).then(function () { say(done); }, select);
    });
  }
  function loyaltyTools(c, card) {
    var t = c.t, busy = false, find = function (name) { return card.querySelector("[data-jk=" + name + "]"); };
    var live = find("status"), panel = find("new-code"), say = function (text) { live.textContent = text; };
    Array.prototype.forEach.call(card.querySelectorAll(".journeykit-redeem"), function (button) {
      var item = button.closest("li"), key = null;  /* one key per attempt: a retry after a failure reuses it, so nothing is spent twice */
      button.addEventListener("click", function () {
        if (busy) return;
        busy = true;
        key = key || randomId();
        say(t.redeeming);
        track("widget_interaction", c, {action: "redeem"});
        api("/me/loyalty/redemptions", {method: "POST", body: JSON.stringify({reward: item.getAttribute("data-reward"), key: key})}).then(function (r) {
          busy = false;
          if (r.status < 500) key = null;  /* answered for good: the next click is a new attempt */
          if (r.ok) return issued(r.data);
          var s = r.status;
          say(s === 409 ? t.poor : s > 501 ? t.later : s === 401 ? t.signIn : fill(t.failed, {m: (r.data.error || {}).message || ""}));
        }, function () { busy = false; say(fill(t.failed, {m: t.network})); });
      });
    });
    function issued(d) {
      find("balance").textContent = points(t, d.balance);
      find("spendable").textContent = num(t, d.spendable);
      afford(t, card, d.spendable);
      var id = "journeykit-" + (++uid) + "-how", code = el("code", {tabindex: "-1", "aria-describedby": id}, [d.code]);
      var copy = el("button", {type: "button"}, [t.copy]);
      copier(c, copy, code, say, "copy_code", t.copied, t.selected);
      panel.replaceChildren(el("p", {}, [code, " ", copy]),
                            el("p", {id: id}, [d.expires_at ? fill(t.howTo, {d: day(t, d.expires_at)}) : t.howToAny]));
      panel.hidden = false;
      var codes = find("codes"), none = find("no-codes");
      if (none) none.remove();
      codes.prepend(el("li", {}, codeItem(t, d)));
      find("history").prepend(el("li", {}, entry(t, {points: -d.points, description: fill(t.spent, {label: d.label}), created_at: d.created_at})));
      say(fill(t.made, {label: d.label}));
      code.focus();
    }
  }

  /* Referral: the layout referral.html draws, drawn here for other sites; the Copy button wires up either. */
  function referralView(c, p, me) {
    var t = c.t, id = "journeykit-" + (++uid) + "-link", u = encodeURIComponent, sub = t.subject + ":", kids = [el("h2", {}, [t.refer])];
    kids.push(el("p", {}, [p.offer]));
    if (!me) {
      kids.push(el("p", {"class": "journeykit-join"}, [joining(p, t.joinLink, t.joinLinkText)]));
      return el("section", {"class": "journeykit-referral-card", "aria-label": t.refer}, kids);
    }
    var share = list("journeykit-share", [["mailto:?subject=" + u(t.subject) + "&body=" + u(sub + " " + me.url), t.mail, t.byMail],
      ["https://wa.me/?text=" + u(sub + " " + me.url), "WhatsApp"], ["https://twitter.com/intent/tweet?text=" + u(sub) + "&url=" + u(me.url), "X"],
      ["https://www.facebook.com/sharer/sharer.php?u=" + u(me.url), "Facebook"]], function (s) {
      return [el("a", {href: s[0], "aria-label": s[2] || fill(t.on, {n: s[1]})}, [s[1]])];
    });
    share.setAttribute("aria-label", t.share);
    kids.push(el("div", {"class": "journeykit-link"}, [el("label", {"for": id}, [t.link]), " ", el("input", {id: id, type: "text", readonly: "", value: me.url, "data-jk": "link"}),
                                                       " ", el("button", {type: "button", "class": "journeykit-copy"}, [t.copyLink])]),
              el("p", {"class": "journeykit-status", role: "status", "aria-live": "polite", "data-jk": "status"}), share,
              el("dl", {"class": "journeykit-stats"}, [[t.clicks, num(t, me.clicks)], [t.bought, num(t, me.conversions)],
                [t.earned, points(t, me.rewards.points)], [t.waiting, num(t, me.pending)]].map(function (s) { return el("div", {}, [el("dt", {}, [s[0]]), el("dd", {}, [s[1]])]); })));
    return el("section", {"class": "journeykit-referral-card", "aria-label": t.refer, "data-signed-in": ""}, kids);
  }
  function referralTools(c, card) {
    var live = card.querySelector("[data-jk=status]");
    copier(c, card.querySelector(".journeykit-copy"), card.querySelector("[data-jk=link]"), function (x) { live.textContent = x; },
           "copy_link", c.t.linkCopied, c.t.linkSelected);
  }

  var RENDER = {
    rating: drawn,
    reviews: drawn,
    testimonials: function (c, box) {
      var t = c.t, tag = c.host.getAttribute("tag"), limit = Number(c.host.getAttribute("limit")) || 6;
      var section = el("section", {"class": "journeykit-testimonials", "aria-label": t.testimonials}, [el("h2", {}, [t.testimonials])]);
      box.append(section);
      api("/testimonials?limit=" + Math.min(limit, 50) + (tag ? "&tag=" + encodeURIComponent(tag) : "")).then(function (r) {
        var items = (r.data.items || []).map(quote);
        if (!items.length) return section.append(el("p", {}, [t.noTestimonials]));
        if (c.host.getAttribute("layout") !== "carousel") {
          return section.append(el("ul", {"class": "journeykit-testimonial-grid"}, items.map(function (f) { return el("li", {}, [f]); })));
        }
        var slides = el("div", {"class": "journeykit-slides"}, items.map(function (f) { return el("div", {"class": "journeykit-slide"}, [f]); }));
        section.append(slides);
        carousel(c, section, slides);
      });
    }
  };
  var ENHANCE = {
    reviews: function (c, root) {
      var section = root.querySelector("section[data-words]");
      if (section) reviewTools(c, section, token && !section.hasAttribute("data-signed-in"));
    },
    testimonials: function (c, root) {
      var slides = root.querySelector(".journeykit-slides");
      if (slides) carousel(c, slides.closest("section"), slides);
    }
  };
  /* The shopper's own card (GET /me/<kind>), else the program (GET /<PROGRAM>/program) and a call to join. */
  var VIEW = {loyalty: loyaltyView, referral: referralView}, TOOLS = {loyalty: loyaltyTools, referral: referralTools};
  var PROGRAM = {loyalty: "loyalty", referral: "referrals"};
  Object.keys(VIEW).forEach(function (kind) {
    ENHANCE[kind] = function (c, root) {
      var card = root.querySelector("[data-signed-in]");
      if (card) TOOLS[kind](c, card);
    };
    RENDER[kind] = function (c, box) {
      Promise.all([api("/" + PROGRAM[kind] + "/program"), token && api("/me/" + kind)]).then(function (r) {
        if (!r[0].ok) return;
        var me = r[1] && r[1].ok ? r[1].data : null, card = VIEW[kind](c, r[0].data, me);
        box.append(card);
        if (me) TOOLS[kind](c, card);
      });
    };
  });
  Object.keys(RENDER).forEach(function (kind) {
    var cls = class extends HTMLElement {};
    cls.prototype.connectedCallback = connected;
    customElements.define("journeykit-" + kind, cls);
  });
})();
