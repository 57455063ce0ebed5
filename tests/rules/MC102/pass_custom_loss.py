from keras import layers, models


def focal(y_true, y_pred):
    return y_true - y_pred


model = models.Sequential([
    layers.Input(shape=(16,)),
    layers.Dense(4, activation="sigmoid"),
])
model.compile(loss=focal, optimizer="adam")
