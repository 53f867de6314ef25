// Refreshes a ward <select> when its province <select> changes (progressive enhancement: the server
// validates the pair anyway). The province select carries data-ward-select (id of the ward select)
// and data-wards-url (the directory:wards endpoint).
(function () {
  "use strict";
  function refresh(province) {
    var ward = document.getElementById(province.dataset.wardSelect);
    if (!ward) { return; }
    var placeholder = ward.options.length ? ward.options[0].cloneNode(true) : null;
    ward.disabled = true;
    function fill(items) {
      ward.innerHTML = "";
      if (placeholder) { ward.appendChild(placeholder); }
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = String(item.code);
        option.textContent = item.name;
        ward.appendChild(option);
      });
      ward.value = "";
      ward.disabled = false;
    }
    if (!province.value) { fill([]); return; }
    fetch(province.dataset.wardsUrl + "?tinh=" + encodeURIComponent(province.value), {
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(fill)
      .catch(function () { ward.disabled = false; });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.dataset.wardSelect) { refresh(target); }
  });
})();
