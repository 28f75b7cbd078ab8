/* JourneyKit embed script: finds its own <script> tag, derives the API base from
 * its src, and upgrades <journeykit-*> elements with the server-rendered fragment. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? script.src.replace(/\/embed\.js(\?.*)?$/, "") : "";
  var token = script ? script.getAttribute("data-customer-token") : null;
  var KINDS = ["reviews", "rating", "testimonials", "referral", "loyalty"];

  function headers() {
    var h = {};
    if (token) h["X-JourneyKit-Customer"] = token;
    return h;
  }

  KINDS.forEach(function (kind) {
    var name = "journeykit-" + kind;
    if (customElements.get(name)) return;
    customElements.define(name, class extends HTMLElement {
      connectedCallback() {
        if (this.hasAttribute("data-server-rendered") || this.shadowRoot) return;
        var root = this.attachShadow({ mode: "open" });
        var url = base + "/widgets/" + kind;
        var product = this.getAttribute("product");
        if (product) url += "?product=" + encodeURIComponent(product);
        fetch(url, { headers: headers() }).then(function (r) {
          return r.ok ? r.text() : "";
        }).then(function (html) {
          var tpl = document.createElement("template");
          tpl.innerHTML = html;
          var inner = tpl.content.firstElementChild;
          root.replaceChildren.apply(root, inner ? Array.from(inner.childNodes) : []);
        });
      }
    });
  });
})();
