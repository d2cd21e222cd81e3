import factory
from django.contrib.auth import get_user_model

from chants.models import Song

DEFAULT_PASSWORD = "correct horse battery staple"
# The management form of the song admin's inline of uploads, which every admin POST needs.
INLINE_FORMSET_FOR_SONG = {"asset_uploads-TOTAL_FORMS": "0", "asset_uploads-INITIAL_FORMS": "0"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(user, create, extracted, **kwargs):
        if create:
            user.save()

    class Params:
        staff = factory.Trait(is_staff=True)


class SongFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Song

    title = factory.Sequence(lambda n: f"Song {n:05d}")
    artist = factory.Iterator(["Ana Lopez", "The Choir", "Kwame Mensah", "Lea Dubois"])
    album = factory.Iterator(["Hymns", "Live at Home", "Psalms"])
    genre = factory.Iterator(["gospel", "folk", "choral"])
    language = factory.Iterator(["en", "fr", "es"])
    duration_seconds = 200.5
    lyrics = factory.LazyAttribute(lambda song: f"The words of {song.title}, sung slowly.")
    created_by = factory.SubFactory(UserFactory)
