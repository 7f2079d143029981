from django.urls import path

from shop import views

urlpatterns = [
    path("", views.index),
    path("items/<int:item_id>", views.item),
    path("orders", views.order),
]
