from django.urls import path

from byline.articles import views
from byline.pagecache.decorators import cached_page

app_name = "articles"

urlpatterns = [
    path("", cached_page(views.ArticleListView.as_view()), name="home"),
    path("articles/<str:slug>/", cached_page(views.ArticleDetailView.as_view()), name="detail"),
    path("section/<str:slug>/", cached_page(views.SectionView.as_view()), name="section"),
    path("tag/<str:slug>/", cached_page(views.TagView.as_view()), name="tag"),
    path("author/<str:slug>/", cached_page(views.AuthorView.as_view()), name="author"),
    path("preview/<int:pk>/", views.preview, name="preview"),
]
