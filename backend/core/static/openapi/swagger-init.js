// Starts Swagger UI on the document this script's data-url names (no inline script: the page's
// content security policy allows only our own files).
(function () {
  var url = document.currentScript.getAttribute("data-url");
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: url,
      dom_id: "#swagger-container",
      deepLinking: true,
      showExtensions: true,
      showCommonExtensions: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    });
  });
})();
