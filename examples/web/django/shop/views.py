from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

ITEMS = {1: {"name": "kettle", "price": 30}, 2: {"name": "teapot", "price": 25}, 3: {"name": "cup", "price": 5}}


@require_GET
def index(request):
    return render(request, "index.html", {"items": ITEMS, "query": request.GET.get("q", "")})


@require_GET
def item(request, item_id):
    if item_id not in ITEMS:
        raise Http404("no such item")
    return JsonResponse({"id": item_id, **ITEMS[item_id]})


# A form posted by another site's page would need a CSRF token; this example's API takes none.
@csrf_exempt
@require_POST
def order(request):
    name = request.POST.get("name", "")
    quantity = int(request.POST.get("quantity", "1"))
    known = any(i["name"] == name for i in ITEMS.values())
    return JsonResponse({"ordered": name, "quantity": quantity, "known": known}, status=201)
